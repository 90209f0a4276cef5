"""Service hardening (issue 11): token scopes and revocation, atomic admission, bounded bodies, archive bombs,
database trouble, no server paths in public fields, error shape and headers with the page mounted."""

from __future__ import annotations

from typer.testing import CliRunner

from intergeneval.cli import app as cli_app

runner = CliRunner()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------------------------- tokens
def test_scopes_belong_to_the_token_not_to_its_user(service):
    old = service.auth("alice")  # submit only
    root = service.auth("root", scopes=("admin",), admin=True)
    # An admin token for alice, made through the API, must not lift her older submit-only token.
    r = service.client.post("/api/v1/admin/tokens", json={"name": "alice", "scopes": ["admin"]}, headers=root)
    assert r.status_code == 201
    assert service.client.get("/api/v1/me", headers=old).json()["scopes"] == ["submit"]
    assert service.client.get("/api/v1/admin/tokens", headers=old).status_code == 403
    assert service.client.post("/api/v1/admin/tokens", json={"name": "x"}, headers=old).status_code == 403
    assert service.client.get("/api/v1/me", headers=_bearer(r.json()["token"])).json()["is_admin"] is True
    # A submit-only token made with the CLI for a user who is an admin stays submit-only.
    made = runner.invoke(cli_app, ["admin", "create-token", "--name", "root", "--scopes", "submit",
                                   "--database-url", service.settings.database_url])
    assert made.exit_code == 0, made.output
    submit_only = _bearer(made.stdout.strip().splitlines()[-1])
    me = service.client.get("/api/v1/me", headers=submit_only).json()
    assert me["scopes"] == ["submit"] and me["is_admin"] is False
    assert service.client.get("/api/v1/admin/tokens", headers=submit_only).status_code == 403


def test_revoke_a_token_through_the_api(service):
    root = service.auth("root", scopes=("admin",), admin=True)
    alice = service.auth("alice")
    listed = service.client.get("/api/v1/admin/tokens", headers=root).json()
    assert [(t["user"], t["scopes"]) for t in listed["data"]] == [("root", ["admin"]), ("alice", ["submit"])]
    assert all("token" not in t and len(t["prefix"]) == 8 for t in listed["data"])
    tid = listed["data"][1]["id"]
    assert service.client.get("/api/v1/me", headers=alice).status_code == 200
    assert service.client.delete(f"/api/v1/admin/tokens/{tid}", headers=alice).status_code == 403
    r = service.client.delete(f"/api/v1/admin/tokens/{tid}", headers=root)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    refused = service.client.get("/api/v1/me", headers=alice)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    # Public endpoints refuse it too (a revoked token is never silently anonymous).
    assert service.client.get("/api/v1/leaderboard", headers=alice).status_code == 401
    again = service.client.delete(f"/api/v1/admin/tokens/{tid}", headers=root)
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]
    assert service.client.delete("/api/v1/admin/tokens/999", headers=root).status_code == 404
    own = listed["data"][0]["id"]  # the admin's own token: not by itself
    assert service.client.delete(f"/api/v1/admin/tokens/{own}", headers=root).status_code == 409
    only = service.client.get("/api/v1/admin/tokens?user=alice", headers=root).json()
    assert only["count"] == 1 and only["data"][0]["revoked_at"] is not None


def test_revoke_tokens_with_the_cli(service):
    url = ["--database-url", service.settings.database_url]
    a1, a2 = service.token("alice"), service.token("alice")
    bob = service.token("bob")
    assert runner.invoke(cli_app, ["admin", "revoke-token", *url]).exit_code == 2  # nothing named
    by_value = runner.invoke(cli_app, ["admin", "revoke-token", "--token", a1, *url])
    assert by_value.exit_code == 0, by_value.output
    assert service.client.get("/api/v1/me", headers=_bearer(a1)).status_code == 401
    assert service.client.get("/api/v1/me", headers=_bearer(a2)).status_code == 200
    listed = runner.invoke(cli_app, ["admin", "list-tokens", "--user", "alice", *url])
    assert listed.exit_code == 0 and listed.stdout.count("revoked") == 1 and listed.stdout.count("active") == 1
    assert a2 not in listed.stdout  # the secrets are never shown
    by_user = runner.invoke(cli_app, ["admin", "revoke-token", "--user", "alice", *url])
    assert by_user.exit_code == 0 and "revoked 2 token(s)" in by_user.output
    assert service.client.get("/api/v1/me", headers=_bearer(a2)).status_code == 401
    assert service.client.get("/api/v1/me", headers=_bearer(bob)).status_code == 200
    assert runner.invoke(cli_app, ["admin", "revoke-token", "--id", "999", *url]).exit_code == 1
