"""The Postgres store: embedded server, migrations, and the queries of each concern."""
