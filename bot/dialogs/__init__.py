"""A generic finite-state dialog engine driven by ``dialogs/<name>.yaml``.

``schema`` defines the YAML shape, ``loader`` reads and versions it, ``linter`` finds structural
defects, ``runner`` plays a dialog through the conversation core and ``graph`` draws it (Mermaid).
"""
