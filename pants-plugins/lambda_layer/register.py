"""`python_lambda_layer`: a Lambda layer zip built from the one lockfile.

Pants 2.17 has no layer target (2.18 adds one), so this is the smallest rule that
builds one the way `python_awslambda` builds a function: a PEX of the target's
requirements for the Lambda's complete platform, laid out flat by `pex3 venv create`,
then slimmed by `slim.py` (no debug symbols, tests, typing packages or runtime-provided
distributions; bytecode precompiled) into a zip whose bytes depend only on its inputs.
Pants caches every step like any other process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PexCompletePlatformsField
from pants.backend.python.util_rules.interpreter_constraints import (
    InterpreterConstraints,
)
from pants.backend.python.util_rules.pex import CompletePlatforms, Pex, PexLayout
from pants.backend.python.util_rules.pex_cli import PexCliProcess
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.base.build_root import BuildRoot
from pants.core.goals.package import (
    BuiltPackage,
    BuiltPackageArtifact,
    OutputPathField,
    PackageFieldSet,
)
from pants.core.util_rules.system_binaries import (
    SEARCH_PATHS,
    BinaryPathRequest,
    BinaryPaths,
    BinaryPathTest,
)
from pants.engine.fs import Digest, GlobMatchErrorBehavior, MergeDigests, PathGlobs
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    Dependencies,
    StringSequenceField,
    Target,
)
from pants.engine.unions import UnionRule

# Read through the engine, so a change to it invalidates pantsd's memo and the cache.
SLIM = os.path.relpath(Path(__file__).parent / "slim.py", BuildRoot().path)


class LayerDependencies(Dependencies):
    help = "The requirements the layer holds (and their own requirements)."


class LayerExclude(StringSequenceField):
    alias = "exclude"
    help = (
        "Distributions left out although a requirement needs them: the Lambda "
        "runtime's own (boto3, botocore), or those another layer of the same "
        "functions holds."
    )


class PythonLambdaLayer(Target):
    alias = "python_lambda_layer"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        LayerDependencies,
        LayerExclude,
        PexCompletePlatformsField,
        OutputPathField,
    )
    help = "A Lambda layer zip (`python/` inside) built from the lockfile."


@dataclass(frozen=True)
class LayerFieldSet(PackageFieldSet):
    required_fields = (LayerDependencies, PexCompletePlatformsField)

    dependencies: LayerDependencies
    exclude: LayerExclude
    complete_platforms: PexCompletePlatformsField
    output_path: OutputPathField


@rule(desc="Build a Lambda layer")
async def package_layer(
    field_set: LayerFieldSet, python_setup: PythonSetup
) -> BuiltPackage:
    platforms = await Get(
        CompletePlatforms, PexCompletePlatformsField, field_set.complete_platforms
    )
    pex_args = ("--manylinux=manylinux2014", "--resolve-local-platforms")
    pex, python, strip = await MultiGet(
        Get(
            Pex,
            PexFromTargetsRequest(
                [field_set.address],
                output_filename="layer.pex",
                internal_only=False,
                include_source_files=False,
                complete_platforms=platforms,
                layout=PexLayout.PACKED,
                additional_args=pex_args,
                additional_lockfile_args=pex_args,
            ),
        ),
        Get(
            PythonExecutable,
            InterpreterConstraints(python_setup.interpreter_constraints),
        ),
        Get(
            BinaryPaths,
            BinaryPathRequest(
                binary_name="strip",
                search_path=SEARCH_PATHS,
                # its version is part of the cache key: another strip, other bytes
                test=BinaryPathTest(args=["--version"]),
            ),
        ),
    )
    if not strip.first_path:
        raise ValueError("python_lambda_layer needs `strip` (binutils) on the PATH")
    flat = await Get(
        ProcessResult,
        PexCliProcess(
            subcommand=("venv", "create"),
            extra_args=(
                "--dest-dir=flat",
                "--prefix=python",
                "--layout=flat",
                f"--pex-repository={pex.name}",
                *platforms.generate_pex_arg_list(),
            ),
            additional_input_digest=await Get(
                Digest, MergeDigests([pex.digest, platforms.digest])
            ),
            output_directories=("flat",),
            description=f"Lay out {field_set.address} flat",
        ),
    )
    output = field_set.output_path.value_or_default(file_ending="zip")
    script = await Get(
        Digest,
        PathGlobs(
            [SLIM],
            glob_match_error_behavior=GlobMatchErrorBehavior.error,
            description_of_origin="the python_lambda_layer rule",
        ),
    )
    zipped = await Get(
        ProcessResult,
        Process(
            argv=(
                python.path,
                SLIM,
                "flat",
                output,
                strip.first_path.path,
                *(field_set.exclude.value or ()),
            ),
            input_digest=await Get(Digest, MergeDigests([flat.output_digest, script])),
            output_files=(output,),
            # bytecode of sets and frozensets depends on string hashing
            env={"PYTHONHASHSEED": "0"},
            description=f"Slim and zip {field_set.address}",
            append_only_caches=python.append_only_caches,
            immutable_input_digests=python.immutable_input_digests,
        ),
    )
    return BuiltPackage(
        zipped.output_digest,
        (BuiltPackageArtifact(output, tuple(zipped.stdout.decode().splitlines())),),
    )


def target_types():
    return [PythonLambdaLayer]


def rules():
    return [*collect_rules(), UnionRule(PackageFieldSet, LayerFieldSet)]
