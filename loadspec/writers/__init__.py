"""Writers: a Spec as text — editable YAML (`yaml`) and a self-contained Locust file (`locustfile`).

They only read the Spec.
"""

__all__: list[str] = []
