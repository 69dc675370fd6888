"""Small named query functions over the server database; each takes the db first.

Blueprints call these and never write SQL themselves. `db` is a `sqlite_utils.Database`
from `server.db.get_db()` (or `server.db.connect(...)` outside a request).
"""
