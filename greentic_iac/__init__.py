"""greentic-iac: compile Greentic environments into Pulumi programs and deploy them.

The package is layered (see docs/architecture.md): ``spec`` at the bottom, then ``store``,
``plan``, ``envpacks`` and ``preflight``, then ``targets``, then ``pulumi``, ``local`` and
``report``, and ``cli`` on top. Importing the package itself stays cheap.
"""

__version__ = "0.1.0"
