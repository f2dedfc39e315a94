"""The application's domain, in three rooms: `credentials/` (reading and verifying credential
documents), `desk/` (cases, decisions, audit: the decision desk's rules) and `store/` (SQLite).

`models` may import `rules` and `engine`, never `views` or Flask. `errors` (the one exception tree
of this layer, mapped to HTTP in `app.py`) is shared by all three rooms.
"""
