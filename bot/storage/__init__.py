"""SQLite storage: the connection, migrations and every SQL statement, one store per capability."""
