"""Products with SPI and interaction fidelity (IF), the paper's headline score."""

from __future__ import annotations

#: Larger is better for all three products.
higher_is_better = True


def kisa_spi(kisa: float | None, spi: float | None) -> float | None:
    r"""KISA·SPI: the interaction happened, discounted by physical integrity.

    .. math:: \mathrm{KISA{\cdot}SPI} = \mathrm{KISA} \times \mathrm{SPI}

    Args:
        kisa: the video's KISA, or None when missing.
        spi: the video's SPI, or None when missing.

    Returns:
        The product, or None when either factor is missing.

    Example:
        >>> kisa_spi(0.5, 0.8)
        0.4
        >>> kisa_spi(None, 0.8) is None
        True
    """
    if kisa is None or spi is None:
        return None
    return kisa * spi


def sgi_spi(sgi: float | None, spi: float | None) -> float | None:
    r"""SGI·SPI: the right subject and object, discounted by physical integrity.

    .. math:: \mathrm{SGI{\cdot}SPI} = \mathrm{SGI} \times \mathrm{SPI}

    Args:
        sgi: the video's SGI, or None when missing.
        spi: the video's SPI, or None when missing.

    Returns:
        The product, or None when either factor is missing.

    Example:
        >>> sgi_spi(1.0, -0.5)  # SPI is unclipped, so the product can be negative
        -0.5
    """
    if sgi is None or spi is None:
        return None
    return sgi * spi


def interaction_fidelity(kisa: float | None, sgi: float | None, spi: float | None) -> float | None:
    r"""Interaction fidelity of one video.

    .. math:: \mathrm{IF} = \frac{\mathrm{KISA}\cdot\mathrm{SPI} + \mathrm{SGI}\cdot\mathrm{SPI}}{2}

    Computed in this order (two products, then their mean) as the reference does, so that reference mode
    reproduces its numbers exactly.

    Args:
        kisa: the video's KISA, or None.
        sgi: the video's SGI, or None.
        spi: the video's SPI, or None.

    Returns:
        IF, or None when any of the three is missing.

    Example:
        >>> interaction_fidelity(1.0, 0.5, 0.5)
        0.375
        >>> interaction_fidelity(1.0, None, 0.5) is None
        True
    """
    a = kisa_spi(kisa, spi)
    b = sgi_spi(sgi, spi)
    if a is None or b is None:
        return None
    return (a + b) / 2
