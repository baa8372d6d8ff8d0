"""The configuration wizard as a local web UI: `admin.app.create_admin_app(home)`."""
