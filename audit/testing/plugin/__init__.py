"""The pytest plugin's parts (:mod:`audit.testing.pytest_plugin` is its entry point and face).

:mod:`~audit.testing.plugin.state` (values, session state), :mod:`~audit.testing.plugin.options`
(options, markers, header), :mod:`~audit.testing.plugin.collect` (which scorer and population a
test audits), :mod:`~audit.testing.plugin.fixtures` (the fixtures and the cached run) and
:mod:`~audit.testing.plugin.report` (outcomes, the session report, the terminal summary).
Each imports only pytest and the standard library at import time.
"""
