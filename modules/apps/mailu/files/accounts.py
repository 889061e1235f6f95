#!/usr/bin/env python3
"""Brings Mailu's domain, users and aliases to what the stack declares.

Run by the Job mailu-accounts-<hash> (modules/apps/mailu/accounts.tf) with
the admin image, its environment and Mailu's own command line (flask mailu).
New users get their initial password (mounted from a Secret, never on a
command line); existing users keep theirs, so an apply never undoes a
password change. Aliases not declared are removed; users not declared are
kept and reported, because deleting a user deletes its mail.
"""
import json
import os
import subprocess
import sys

# Where the Job mounts them (overridable for the test, modules/mailu_accounts_test.go).
CONFIG = os.environ.get("ACCOUNTS_CONFIG", "/config/accounts.json")
PASSWORDS = os.environ.get("ACCOUNTS_PASSWORDS", "/passwords")
FLASK = os.environ.get("ACCOUNTS_FLASK", "flask")


def mailu(*args, stdin=None):
    proc = subprocess.run([FLASK, "mailu", *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        sys.exit(f"accounts: flask mailu {args[0]} failed (exit {proc.returncode}): {' | '.join(detail)}")
    return proc.stdout


def inventory():
    """The addresses of Mailu's users and aliases."""
    data = json.loads(mailu("config-export", "--json", "user.email", "alias.email") or "{}")
    return ({u["email"] for u in data.get("user") or []},
            {a["email"] for a in data.get("alias") or []})


def main():
    with open(CONFIG, encoding="utf-8") as f:
        want = json.load(f)
    domain = want["domain"]
    have_users, have_aliases = inventory()

    users, created = [], []
    for u in want["users"]:
        item = {k: u[k] for k in ("email", "displayed_name", "global_admin", "enabled")}
        if u["quota_bytes"] > 0:
            item["quota_bytes"] = u["quota_bytes"]
        if u["email"] not in have_users:
            with open(os.path.join(PASSWORDS, u["localpart"]), encoding="utf-8") as f:
                item["password"] = f.read()
            item["hash_password"] = True
            created.append(u["email"])
        users.append(item)

    wanted_aliases = {a["email"] for a in want["aliases"]}
    removed = sorted(e for e in have_aliases - wanted_aliases if e.endswith("@" + domain))
    aliases = [{"email": a["email"], "destination": a["destination"]} for a in want["aliases"]]
    aliases += [{"-email": e} for e in removed]

    doc = {
        "domain": [{"name": domain, "max_users": -1, "max_aliases": -1, "max_quota_bytes": 0, "signup_enabled": False}],
        "user": users,
        "alias": aliases,
    }
    print(mailu("config-import", "--update", "--verbose", stdin=json.dumps(doc)), end="")

    after_users, after_aliases = inventory()
    missing = sorted({u["email"] for u in want["users"]} - after_users) + sorted(wanted_aliases - after_aliases)
    if missing:
        sys.exit(f"accounts: still missing after the import: {', '.join(missing)}")
    for e in sorted(after_users - {u["email"] for u in want["users"]}):
        print(f"accounts: {e} is in Mailu but not in mail_users: kept (the stack never deletes a mailbox); delete it in the admin if it must go")
    print(f"accounts: {len(want['users'])} users ({len(created)} created: {', '.join(created) or 'none'}), "
          f"{len(want['aliases'])} aliases ({len(removed)} removed: {', '.join(removed) or 'none'}), as declared")


if __name__ == "__main__":
    main()
