"""loadspec: declarative HTTP load tests in YAML (or from a browser HAR recording), run on Locust.

The public API is re-exported here; import `loadspec.X`, never a private module path. Importing
loadspec does not import Locust (and so does not monkey-patch the process): only compiling and
running do.
"""

from ._errors import (
    CompileError,
    Diagnostic,
    HarError,
    InputFileError,
    LoadspecError,
    RunError,
    SpecError,
    TemplateError,
    UsageError,
)
from ._loader import load_spec, load_spec_text
from .model import Spec

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "Diagnostic",
    "HarError",
    "InputFileError",
    "LoadspecError",
    "RunError",
    "Spec",
    "SpecError",
    "TemplateError",
    "UsageError",
    "__version__",
    "load_spec",
    "load_spec_text",
]
