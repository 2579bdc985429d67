"""Redshift COPY/UNLOAD: parse the statement, check its clauses, probe with its credentials.

``lexer`` and ``parser`` read SQL into :class:`~keydoctor.redshift.statement.Statement`
objects; ``checks`` turns them into findings (rules in ``rules``); ``probe`` plans the
questions each statement's credentials should be asked, which :mod:`keydoctor.probes.plans`
asks, and ``verdicts`` turns the answers into findings; ``report`` builds the frozen
:class:`~keydoctor.redshift.report.RedshiftResult` and its text, JSON and SARIF formats.
The credentials string is a secret from end to end: it is held in
:class:`~keydoctor.model.Secret` and every value seen is handed to the run's Redactor.
"""
