"""Targets on the latent/token grid, the causal head, losses, schedules: pure functions vs hand references."""

import math

import pytest
import torch

from matrix_train.head import CausalMaskHead, DecoderHead
from matrix_train.losses import (
    FlowMatchSchedule,
    bce_pos_weighted,
    dice_loss,
    map_losses,
    masked_mean_per_sample,
    total_loss,
)
from matrix_train.targets import build_sga, build_spa, latent_frame_union, pixel_tracks, token_grid_tracks


def test_latent_frame_union_groups_frames():
    m = torch.zeros(9, 2, 2, dtype=torch.bool)
    m[0, 0, 0] = m[4, 1, 1] = m[5, 0, 1] = True
    u = latent_frame_union(m)
    assert u.shape == (3, 2, 2)
    assert u[0].nonzero().tolist() == [[0, 0]]  # frame 0 alone
    assert u[1].nonzero().tolist() == [[1, 1]]  # frames 1..4
    assert u[2].nonzero().tolist() == [[0, 1]]  # frames 5..8
    with pytest.raises(ValueError, match="4k\\+1"):
        latent_frame_union(torch.zeros(8, 2, 2, dtype=torch.bool))


def test_token_and_pixel_tracks_shapes():
    m = torch.zeros(2, 9, 64, 64, dtype=torch.bool)
    m[:, :, :32] = True
    tok = token_grid_tracks(m, (3, 4, 4))
    assert tok.shape == (2, 3, 4, 4) and tok[:, :, :2].all() and not tok[:, :, 2:].any()
    assert pixel_tracks(m).shape == (2, 9, 8, 8)


@pytest.mark.parametrize("residual", [False, True])
def test_head_is_causal_and_upsamples(residual):
    torch.manual_seed(0)
    head = CausalMaskHead(channels=4, residual=residual)
    if residual:  # make the zero-initialised residual do something
        torch.nn.init.normal_(head.out.weight)
    x = torch.rand(2, 1, 3, 4, 4)
    y = head(x)
    assert y.shape == (2, 1, 9, 8, 8)
    x2 = x.clone()
    x2[:, :, 2] += 5  # change the last latent frame only
    y2 = head(x2)
    assert torch.equal(y[:, :, :5], y2[:, :, :5]), "output frames of latent frames 0-1 saw the future"
    assert not torch.equal(y[:, :, 5:], y2[:, :, 5:])
    big = head(x * 1000)
    assert big.abs().max() > 100  # no clamp: logits are unbounded


def test_decoder_head_starts_as_the_upsampled_map():
    """Identity init: at step 0 the decoder gives the affine head's logits (up to its small perturbation),
    so SGA's first gradients already point into the masks; every kernel tap receives a gradient."""
    torch.manual_seed(0)
    x = torch.rand(2, 1, 3, 4, 4) * 2
    affine = CausalMaskHead()(x)
    for monotone in (True, False):
        assert torch.allclose(DecoderHead(4, monotone, noise=0.0)(x), affine, atol=1e-5)
        head = DecoderHead(4, monotone)
        assert (head(x) - affine).abs().max() < 0.05
        assert head(torch.ones(1, 1, 3, 4, 4)).abs().max() < 1e-3  # uniform attention at logit 0
        head(x).sum().backward()
        assert all((p.grad != 0).all() for p in head.parameters()), "a kernel tap gets no gradient"


@pytest.mark.parametrize("monotone", [True, False])
def test_decoder_head_is_causal_and_upsamples(monotone):
    torch.manual_seed(0)
    head = DecoderHead(4, monotone)
    with torch.no_grad():  # trained weights, whatever they are
        for p in head.parameters():
            p.normal_()
    x = torch.rand(2, 1, 3, 4, 4)
    y = head(x)
    assert y.shape == (2, 1, 9, 8, 8)
    x2 = x.clone()
    x2[:, :, 2] += 5  # change the last latent frame only
    y2 = head(x2)
    assert torch.equal(y[:, :, :5], y2[:, :, :5]), "output frames of latent frames 0-1 saw the future"
    assert not torch.equal(y[:, :, 5:], y2[:, :, 5:])
    assert head(x * 1000).abs().max() > 100  # no clamp: logits are unbounded


def test_monotone_decoder_never_lowers_logits_where_attention_grows():
    """Whatever training does to its kernels (here: random, half of them negative), more attention
    anywhere never lowers a logit; the unconstrained decoder has no such guarantee."""
    torch.manual_seed(0)
    x = torch.rand(8, 1, 3, 4, 4)
    x2 = x + 0.5 * torch.rand_like(x) * (torch.rand_like(x) < 0.2)
    lowered = {}
    for monotone in (True, False):
        head = DecoderHead(4, monotone)
        with torch.no_grad():
            for p in head.parameters():
                p.normal_()
        lowered[monotone] = float((head(x2) - head(x)).min())
    assert lowered[True] >= 0 and lowered[False] < 0, lowered


def test_head_maps_more_attention_to_more_mask():
    head = CausalMaskHead(channels=4)
    x = torch.rand(1, 1, 3, 4, 4)
    # Step 0: uniform attention (maps are scaled so that uniform = 1) sits at logit 0.
    assert torch.allclose(head(torch.ones(1, 1, 3, 4, 4)), torch.zeros(1, 1, 9, 8, 8))
    with torch.no_grad():
        head.log_scale.fill_(-3.0)  # whatever training does to the scale, it stays positive
    y = head(x)
    x2 = x.clone()
    x2[0, 0, 1, 2, 3] += 0.5  # more attention on one token of latent frame 1
    d = head(x2) - y
    changed = d != 0
    assert (d >= 0).all() and changed[0, 0, 1:5, 4:6, 6:8].all() and changed.sum() == 4 * 2 * 2
    assert torch.equal(head.token_logits(x2) - head.token_logits(x) > 0, x2 != x)


def _bce_reference(x, t, pw):
    return -(pw * t * math.log(1 / (1 + math.exp(-x))) + (1 - t) * math.log(1 - 1 / (1 + math.exp(-x))))


def test_bce_pos_weight_matches_reference_and_caps():
    logits = torch.tensor([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    targets = torch.tensor([[1, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.bool)
    got = bce_pos_weighted(logits, targets, cap=10.0)
    pw0 = 3.0  # 3 negatives / 1 positive
    pairs = zip(logits[0], targets[0], strict=True)
    ref0 = sum(_bce_reference(float(x), float(t), pw0) for x, t in pairs) / 4
    ref1 = sum(_bce_reference(1.0, 0.0, 10.0) for _ in range(4)) / 4
    assert got.tolist() == pytest.approx([ref0, ref1], rel=1e-5)
    t = torch.zeros(1, 100, dtype=torch.bool)
    t[0, 0] = True  # 99 negatives per positive -> capped at 10
    x = torch.zeros(1, 100)
    expected = (10 * math.log(2) + 99 * math.log(2)) / 100
    assert bce_pos_weighted(x, t, cap=10.0).item() == pytest.approx(expected)


def test_dice_and_map_losses():
    t = torch.tensor([[1, 1, 0, 0]], dtype=torch.bool)
    perfect = torch.tensor([[20.0, 20.0, -20.0, -20.0]])
    assert dice_loss(perfect, t).item() == pytest.approx(0.0, abs=1e-6)
    assert dice_loss(-perfect, t).item() > 0.6
    only_bce = map_losses(perfect, t)
    with_dice = map_losses(-perfect, t, dice=1.0)
    assert only_bce.item() < 1e-6 and with_dice.item() > map_losses(-perfect, t).item()


def test_validity_masks_and_total():
    per_map = torch.tensor([[1.0, 3.0, 100.0], [5.0, 7.0, 9.0]])
    valid = torch.tensor([[True, True, False], [False, False, False]])
    assert masked_mean_per_sample(per_map, valid).tolist() == [2.0, 0.0]
    got = total_loss(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 0.0]), torch.tensor([4.0, 0.0]),
                     torch.tensor([0.5, 1.0]), lambda_sga=0.01, lambda_spa=0.005)
    assert got.item() == pytest.approx((0.5 * (1 + 0.02 + 0.02) + 1.0 * 2) / 2)


def test_flow_schedule_matches_released_definition():
    s = FlowMatchSchedule(shift=5.0)
    assert s.sigmas[0] == pytest.approx(1.0) and s.sigmas[500] == pytest.approx(5 * 0.5 / 3)
    assert s.weights.mean().item() == pytest.approx(1.0) and s.weights.min().item() == pytest.approx(0.0)
    assert s.timesteps[s.weights.argmax()].item() == pytest.approx(500, abs=2)
    x0, eps = torch.ones(1, 2), torch.zeros(1, 2)
    x_t, _, v, _ = s.noisy(x0, eps, torch.tensor([500]))
    assert torch.allclose(x_t, (1 - s.sigmas[500].float()) * x0) and torch.equal(v, eps - x0)


def test_build_sga_spans_and_validity():
    mask_valid = torch.tensor([[True, True, False, False, False]])
    offsets = [[(0, 1), (2, 5), (6, 12), (13, 14), (15, 18), (0, 0)]]  # "a dog chases a cat" + </s>
    spans = [[(2, 5, (1,)), (6, 12, (1, 2)), (15, 18, (2,)), (15, 18, (3,))]]
    cols, weights, span_ids, valid = build_sga(spans, offsets, mask_valid)
    assert cols[0].tolist() == [1, 2, 4]
    assert valid[0].tolist() == [True, True, True, False]  # id3 has no mask
    assert weights[0, 1].tolist() == [0.0, 1.0, 0.0]
    assert span_ids[0, 1, :2].tolist() == [True, True]


def test_build_spa_rows_and_weights():
    f0 = torch.zeros(1, 5, 2, 2, dtype=torch.bool)
    f0[0, 0, 0, 0] = f0[0, 0, 0, 1] = True
    f0[0, 1, 1, 1] = True
    f0[0, 2, 1, 0] = True  # id3 present on the grid but not valid
    rows, weights, valid = build_spa(f0, torch.tensor([[True, True, False, False, False]]))
    assert rows[0].tolist() == [0, 1, 3]
    assert weights[0, 0].tolist() == [0.5, 0.5, 0.0] and weights[0, 1].tolist() == [0.0, 0.0, 1.0]
    assert valid[0].tolist() == [True, True, False, False, False]
