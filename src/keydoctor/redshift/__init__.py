"""Redshift COPY/UNLOAD: parse the statement, check its clauses, probe with its credentials.

``lexer`` and ``parser`` read SQL into :class:`~keydoctor.redshift.statement.Statement`
objects; ``checks`` turns them into findings (rules in ``rules``); ``probe`` asks S3,
STS and IAM with the statement's own credentials; ``report`` builds the document the
reporters print. The credentials string is a secret from end to end: it is held in
:class:`~keydoctor.model.Secret` and every value seen is handed to the run's Redactor.
"""
