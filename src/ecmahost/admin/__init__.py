"""The configuration wizard as a local web UI: `create_admin_app(home, runtime=None)`."""
