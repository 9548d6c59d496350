"""The scenario language, pure and engine-free: units, templates and their functions, JMESPath,
checks (the query and predicate registries) and the small text helpers every stage shares.
"""

__all__: list[str] = []
