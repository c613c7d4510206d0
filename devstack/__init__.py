"""The local stand-in for AWS and Halo: `python -m devstack` runs it, `python -m devstack.demo` drives it.

See devstack/README.md for the parts, the ports and the settings.
"""
