"""Nova keypairs: list, create (generated when no public key is given), show and delete, per
user."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, iso, nova_fault
from lifecycle.lab.openstack.nova.common import ANY_ID, V

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def kp_view(kp: dict[str, Any], ctx: Ctx, full: bool) -> dict[str, Any]:
        out = {"name": kp["name"], "public_key": kp["public_key"], "fingerprint": kp["fingerprint"]}
        if ctx.at_least(2, 2):
            out["type"] = kp["type"]
        if full:
            out.update(
                user_id=kp["user_id"],
                id=kp["num"],
                created_at=kp["created_at"],
                deleted=False,
                deleted_at=None,
                updated_at=None,
            )
        return out

    @route("GET", V + r"/os-keypairs")
    def keypairs(req: Request, ctx: Ctx) -> dict[str, Any]:
        user = req.arg("user_id") if ctx.is_admin and req.arg("user_id") else ctx.user_id
        with lock:
            return {
                "keypairs": [
                    {"keypair": kp_view(kp, ctx, False)}
                    for (u, _), kp in sorted(nova.keypairs.items())
                    if u == user
                ]
            }

    @route("POST", V + r"/os-keypairs")
    def keypair_create(req: Request, ctx: Ctx) -> Response:
        body = svc.body(req, "keypair")
        name = str(body.get("name") or "")
        if not name:
            raise nova_fault(
                400, "Invalid input for field/attribute keypair. Value: {}. 'name' is a required property"
            )
        user = body.get("user_id") if ctx.is_admin and body.get("user_id") else ctx.user_id
        with lock:
            if (user, name) in nova.keypairs:
                raise nova_fault(409, f"Key pair '{name}' already exists.")
            private = None
            public = body.get("public_key")
            if not public:
                raw = secrets.token_bytes(64)
                public = "ssh-rsa " + base64.b64encode(raw).decode() + " Generated-by-Nova"
                private = (
                    "-----BEGIN RSA PRIVATE KEY-----\n"
                    + base64.b64encode(raw * 4).decode()
                    + "\n-----END RSA PRIVATE KEY-----\n"
                )
            blob = public.split()[1] if len(public.split()) > 1 else public
            digest = hashlib.md5(base64.b64decode(blob + "==="), usedforsecurity=False).hexdigest()
            kp = {
                "name": name,
                "public_key": public,
                "type": body.get("type", "ssh"),
                "user_id": user,
                "fingerprint": ":".join(digest[i : i + 2] for i in range(0, 32, 2)),
                "num": len(nova.keypairs) + 1,
                "created_at": iso(micro=True, z=False),
            }
            nova.keypairs[(str(user), name)] = kp
            out = kp_view(kp, ctx, False)
            out["user_id"] = user
            if private:
                out["private_key"] = private
        return json_response({"keypair": out}, 201 if ctx.at_least(2, 2) else 200)

    def find_kp(name: str, ctx: Ctx, req: Request) -> tuple[tuple[str, str], dict[str, Any]]:
        user = req.arg("user_id") if ctx.is_admin and req.arg("user_id") else ctx.user_id
        key = (str(user), name)
        if key not in nova.keypairs:
            raise nova_fault(404, f"Keypair {name} not found for user {user}")
        return key, nova.keypairs[key]

    @route("GET", V + rf"/os-keypairs/{ANY_ID}")
    def keypair_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"keypair": kp_view(find_kp(req.params["id"], ctx, req)[1], ctx, True)}

    @route("DELETE", V + rf"/os-keypairs/{ANY_ID}")
    def keypair_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            nova.keypairs.pop(find_kp(req.params["id"], ctx, req)[0])
        return Response(202 if not ctx.at_least(2, 2) else 204, b"", {})
