"""Build-time errors of the step language (runtime failures are weave.errors.TransformError)."""

from __future__ import annotations

from weave.errors import SpecError


class StepError(SpecError):
    """A step does not compile. `code` is the diagnostic code the spec checker reports:

    * WV312 - a JMESPath expression or a Jinja template does not compile
    * WV307 - `use:` names a transform the library does not define
    * WV601 - the step itself is malformed (unknown kind, wrong shape, unknown table or schema)
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "WV601",
        index: int | None = None,
        kind: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        where = []
        if index is not None:
            where.append(f"step {index + 1}" + (f" ({kind})" if kind else ""))
        if file:
            where.append(f"{file}:{line}" if line else file)
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)
        self.reason = message
        self.code = code
        self.index = index
        self.kind = kind
        self.file = file
        self.line = line
