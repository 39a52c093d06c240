"""Swift parameters for papermill: `papermill nb.ipynb out.ipynb -k swift -p epochs 1`.

The injected cell declares each parameter again (`var epochs = 1`); the kernel lets a later cell
declare a name again, and the new declaration wins from then on."""
import math
import re


class _DelegatingEngine(type):
    """Forwards everything to papermill's nbclient engine, looked up only when it is used."""

    def __getattr__(cls, name):
        from papermill.engines import NBClientEngine
        return getattr(NBClientEngine, name)


class SwiftEngine(metaclass=_DelegatingEngine):
    """papermill's nbclient engine under the name `swift`; loading it registers the Swift translator.

    Defined before anything from papermill is imported: papermill loads its engine entry points while
    it is itself being imported, and this class must already exist when it does."""


from papermill.models import Parameter  # noqa: E402
from papermill.translators import Translator, papermill_translators  # noqa: E402


class SwiftTranslator(Translator):
    @classmethod
    def translate_escaped_str(cls, str_val):
        text = str(str_val)
        escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                   .replace("\r", "\\r").replace("\t", "\\t"))
        return f'"{escaped}"'

    @classmethod
    def translate_none(cls, val):
        return "nil"

    @classmethod
    def translate_float(cls, val):
        if math.isnan(val):
            return "Double.nan"
        if math.isinf(val):
            return "Double.infinity" if val > 0 else "-Double.infinity"
        text = repr(float(val))
        return text if any(c in text for c in ".e") else text + ".0"

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_list(cls, val):
        return "[" + ", ".join(cls.translate(v) for v in val) + "]"

    @classmethod
    def translate_dict(cls, val):
        if not val:
            return "[String: Any]()"
        return "[" + ", ".join(f"{cls.translate_str(k)}: {cls.translate(v)}" for k, v in val.items()) + "]"

    @classmethod
    def comment(cls, cmt_str):
        return f"// {cmt_str}".strip()

    @classmethod
    def assign(cls, name, str_val):
        return f"var {name} = {str_val}"

    _declaration = re.compile(r"^\s*(?:var|let)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([^=]+?))?\s*=\s*(.+?)\s*(?://\s*(.*))?$")

    @classmethod
    def inspect(cls, parameters_cell):
        """The `var name = value` / `let name: Type = value` lines of a parameters cell."""
        found = []
        for line in parameters_cell.source.splitlines():
            match = cls._declaration.match(line)
            if match:
                name, annotated, default, comment = match.groups()
                found.append(Parameter(name=name, inferred_type_name=(annotated or "None").strip(), default=default, help=comment or ""))
        return found


papermill_translators.register("swift", SwiftTranslator)

