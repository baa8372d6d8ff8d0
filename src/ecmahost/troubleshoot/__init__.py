"""Troubleshooting: the connection test (`test-connection`), the troubleshooting archive
(`collect-troubleshooting-info`) and the host's status (`status`). Each returns plain data; the CLI prints it."""
