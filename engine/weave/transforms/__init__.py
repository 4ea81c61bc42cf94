"""Transforms: JMESPath compiled to Python, sandboxed Jinja, the step language and the library.

Submodules (import what you need; nothing registers anything on import):

* `weave.transforms.jmespath` - `compile(expression, functions=None) -> CompiledExpression`
* `weave.transforms.jinja`    - `TemplateEngine`, `render()`
* `weave.transforms.steps`    - `build_pipeline(steps, ...) -> Pipeline`
* `weave.transforms.library`  - `load_library(paths) -> Library`
"""
