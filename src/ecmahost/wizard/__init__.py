"""The configuration wizard's model, shared by the admin web UI and `ecmahost connector new/edit`.

`draft` holds the answers, `questions` and the `profile*` modules say what is asked per connector type (SQL,
LDAP, CSV, script, REST) and how answers become the connector file's blocks, `steps` validates each page,
`discovery` talks to the target through the connector type (`check()`, `discover()`), `propose` turns what was
discovered into a first configuration, `child_tables` reads SQL child-table answers, and `save` writes the one
connector file both front ends produce. Nothing here renders HTML or prompts in a terminal.
"""
