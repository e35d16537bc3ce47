# Pants macros (loaded before every BUILD file: pants.toml, build_file_prelude_globs).


def lambda_job(**kwargs):
    """A table job's Lambda: its handler module and the zip `./pants package` writes
    to dist/lambda.<job>/lambda.zip: the handler and common/ only, its requirements
    are the layers' (lambda/BUILD). A BUILD file holding `lambda_job()` is all a
    job's folder needs, and `new-job` writes it."""
    # mypy checks one module per name, and every handler is `handler`: the job
    # module it imports is what mypy checks.
    python_sources(skip_mypy=True)  # noqa: F821 (a Pants BUILD symbol)
    python_awslambda(  # noqa: F821
        name="lambda",
        handler="handler.py:lambda_handler",
        complete_platforms=["lambda:python311_platform"],
        include_requirements=False,
        **kwargs,
    )
