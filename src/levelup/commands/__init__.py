"""One module per CLI command; each exposes `register(subparsers)`.

A command module parses nothing itself beyond its options and calls into the
package; it returns the process exit status (0 ok, 1 partial failure, 2 usage
or configuration error).
"""
