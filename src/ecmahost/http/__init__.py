"""The http layer: TLS-facing ASGI app, routing by connector name, bearer token of that connector, body limits,
content types and SCIM error rendering. It adapts requests to `ecmahost.service`; it holds no SCIM rule."""
