"""``it2en ray`` on clusters shaped as they come: nodes of uneven sizes, nodes too small for
a whole CPU per worker and the reading, a job whose workers never get their CPUs (a
stall), and workers that cannot read object storage the driver can. Real local clusters
(``ray.cluster_utils.Cluster``: a head and nodes on 127.0.0.1), tiny models; every job has
a stall limit, so a placement that strands work fails the test instead of hanging it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_ray_cluster import _free_port, expected_records, folder_files, shards, write_corpus
from tiny import tiny_config

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from pipeline.distributed import DistributedOptions, run_distributed  # noqa: E402
from pipeline.errors import MissingResource  # noqa: E402

pytestmark = pytest.mark.slow  # Ray clusters and servers of their own

_AWS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_SESSION_TOKEN",
)


@contextlib.contextmanager
def cluster(*cpus: float, env: dict[str, str] | None = None) -> Iterator[Any]:
    """A local cluster of nodes of ``cpus`` CPUs each (the first is its head), started
    with ``env`` as the nodes' environment and no AWS variable but those, this process
    connected to it as the driver."""
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    saved = dict(os.environ)
    for name in _AWS:
        os.environ.pop(name, None)
    os.environ.update(env or {})
    try:
        made = Cluster(initialize_head=True, head_node_args={"num_cpus": cpus[0]})
        for size in cpus[1:]:
            made.add_node(num_cpus=size)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        ray.init(address=made.address, logging_level="ERROR", log_to_driver=False)
        made.wait_for_nodes()
        yield made
    finally:
        ray.shutdown()
        made.shutdown()


def options(workers: int, **more: Any) -> DistributedOptions:
    return DistributedOptions(
        workers=workers, records_per_shard=4, stall_minutes=more.pop("stall_minutes", 3), **more
    )


@ray.remote(num_cpus=1)
class Hog:
    """An actor that holds a CPU until it is killed (another job's task that never ends)."""

    def ready(self) -> bool:
        return True


def test_two_nodes_of_one_cpu_a_stall_and_its_resume(tiny_models, model_flags, tmp_path):
    """Two 1-CPU nodes: a job whose workers cannot get a CPU (each held by another task)
    stops after its stall limit with one line naming what it waits for, exit 5; with the
    CPUs free, 2 workers (the old hang) and 3 workers complete with every record once, and
    the stalled command run again completes. The same stall in this process leaves no
    dataset running behind it."""
    corpus = write_corpus(tmp_path / "in")
    config = tiny_config(tiny_models, num_beams=1, docs_per_chunk=2)
    expected = expected_records(tiny_models)
    with cluster(1, 1) as made:
        hogs = [Hog.remote() for _ in range(2)]  # type: ignore[attr-defined]
        ray.get([hog.ready.remote() for hog in hogs])
        command = [
            sys.executable, "-m", "pipeline", "ray", str(corpus), str(tmp_path / "stalled"), *model_flags,
            "--address", made.address, "--workers", "2", "--records-per-shard", "4", "--docs-per-chunk", "2",
            "--num-beams", "1", "--stall-minutes", "0.1",
        ]  # fmt: skip
        started = time.monotonic()
        stalled = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert stalled.returncode == 5, stalled.stderr[-3000:]
        assert time.monotonic() - started < 120, stalled.stderr[-3000:]
        lines = [line for line in stalled.stderr.splitlines() if "no row written" in line]
        assert len(lines) == 1, stalled.stderr[-3000:]
        assert "Traceback" not in stalled.stderr, stalled.stderr[-3000:]
        assert "ray: no row written for 0.1 min" in lines[0]
        assert "CPU 0/2 free" in lines[0]
        assert "waiting for {'CPU': " in lines[0]
        assert "run the command again" in lines[0]
        with pytest.raises(MissingResource, match=r"no row written for 0\.1 min"):
            run_distributed([str(corpus)], tmp_path / "in-process", config, options(2, stall_minutes=0.1))
        # The stopped job's dataset is stopped too: Ray shut down under a scheduling loop
        # still waiting on its tasks aborts the process (the CLI's exit was 1, not 5).
        running = [t.name for t in threading.enumerate() if type(t).__name__ == "StreamingExecutor"]
        assert running == [] and not any(t.name == "it2en-ray-results" for t in threading.enumerate())
        for hog in hogs:
            ray.kill(hog)
        for workers in (2, 3):
            report = run_distributed([str(corpus)], tmp_path / f"w{workers}", config, options(workers))
            assert (report.processed, report.failed) == (25, 1)
            assert shards(folder_files(tmp_path / f"w{workers}"), "part-")[:24] == expected
        again = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert again.returncode == 1, again.stderr[-3000:]  # the corpus' one broken line
        assert shards(folder_files(tmp_path / "stalled"), "part-")[:24] == expected


def test_a_cluster_address_nobody_answers_is_one_line_within_seconds(model_flags, tmp_path):
    corpus = write_corpus(tmp_path / "in")
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    command = [sys.executable, "-m", "pipeline", "ray", str(corpus), str(tmp_path / "out"), *model_flags]
    started = time.monotonic()
    run = subprocess.run([*command, "--address", address], capture_output=True, text=True, timeout=300)
    assert time.monotonic() - started < 60  # Ray alone retries for about 15 minutes
    assert run.returncode == 5, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    [line] = [line for line in run.stderr.splitlines() if "no Ray cluster answers" in line]
    assert f"no Ray cluster answers at {address}" in line and "leave --address out" in line


@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "[::1]")])
def test_a_cluster_address_is_probed_in_each_form_ray_takes(family, host):
    from pipeline.distributed.session import _answering

    listening = socket.socket(family)
    try:
        listening.bind((host.strip("[]"), 0))
    except OSError:
        pytest.skip(f"{host} cannot be bound on this machine")
    listening.listen()
    port = listening.getsockname()[1]
    with listening:
        _answering(ray, f"{host}:{port}")  # a GCS address
        _answering(ray, f"ray://{host}:{port}")  # a Ray client address
        _answering(ray, "not an address")  # left for Ray to judge
    with pytest.raises(MissingResource, match=rf"no Ray cluster answers at ray://{re.escape(host)}:{port} "):
        _answering(ray, f"ray://{host}:{port}")


def test_three_nodes_of_uneven_sizes(tiny_models, tmp_path):
    corpus = write_corpus(tmp_path / "in")
    config = tiny_config(tiny_models, num_beams=1, docs_per_chunk=2)
    with cluster(1, 2, 4):
        assert sorted(n["Resources"]["CPU"] for n in ray.nodes() if n["Alive"]) == [1, 2, 4]
        report = run_distributed([str(corpus)], tmp_path / "out", config, options(3))
        assert (report.processed, report.failed) == (25, 1)
        assert shards(folder_files(tmp_path / "out"), "part-")[:24] == expected_records(tiny_models)
        with pytest.raises(MissingResource, match="need 2 GPUs placed whole on nodes"):
            run_distributed([str(corpus)], tmp_path / "gpus", config, options(2, gpus_per_worker=1.0))


@pytest.fixture
def s3_with_keys() -> Iterator[tuple[str, dict[str, str]]]:
    """A local S3 server (moto) that answers only requests signed with a key it issued:
    its endpoint and the environment of a client holding that key."""
    pytest.importorskip("moto", reason="moto[server] is not installed")
    import boto3

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},  # the IAM calls below, then keys only
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    anyone = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "x",
        "aws_secret_access_key": "y",
    }
    deadline = time.monotonic() + 60
    while True:
        try:
            iam = boto3.client("iam", **anyone)
            iam.create_user(UserName="it2en")
            break
        except Exception:
            assert time.monotonic() < deadline, "the S3 server never started"
            time.sleep(0.2)
    key = iam.create_access_key(UserName="it2en")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="it2en", PolicyName="all", PolicyDocument=json.dumps(policy))
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }
    try:
        yield endpoint, env
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_workers_without_credentials_are_told_in_one_line(s3_with_keys, tiny_models, model_flags, tmp_path):
    """The driver has the key; the nodes have the endpoint but no key of their own: one
    line naming the worker, the URI and what was denied, exit 5, no trace. Given the
    driver's key (--worker-env), the records are those of one machine."""
    import boto3

    endpoint, keyed = s3_with_keys
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=keyed["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keyed["AWS_SECRET_ACCESS_KEY"],
    )  # fmt: skip
    client.create_bucket(Bucket="it2en")
    for path in write_corpus(tmp_path / "in").iterdir():
        client.put_object(Bucket="it2en", Key=f"in/{path.name}", Body=path.read_bytes())
    nodes = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with cluster(2, env=nodes) as made:
        driver = {**{k: v for k, v in os.environ.items() if k not in _AWS}, **keyed, "RAY_DEDUP_LOGS": "0"}
        command = [
            sys.executable, "-m", "pipeline", "ray", "s3://it2en/in/", "s3://it2en/out/", *model_flags,
            "--address", made.address, "--records-per-shard", "4", "--docs-per-chunk", "2",
            "--num-beams", "1", "--stall-minutes", "3",
        ]  # fmt: skip
        denied = subprocess.run(command, env=driver, capture_output=True, text=True, timeout=600)
        assert denied.returncode == 5, denied.stderr[-3000:]
        lines = [line for line in denied.stderr.splitlines() if "could not read" in line]
        assert len(lines) == 1, denied.stderr[:3000]
        assert "Traceback" not in denied.stderr, denied.stderr[:3000]
        assert "a worker could not read s3://it2en/in/" in lines[0]
        assert "ACCESS_DENIED" in lines[0]
        assert "--worker-env" in lines[0]
        given = [*command, "--worker-env", "AWS_ACCESS_KEY_ID", "--worker-env", "AWS_SECRET_ACCESS_KEY"]
        done = subprocess.run(given, env=driver, capture_output=True, text=True, timeout=600)
        assert done.returncode == 1, done.stderr[-3000:]  # the one broken line of the corpus
        written = client.list_objects_v2(Bucket="it2en", Prefix="out/part-")["Contents"]
        records = [
            json.loads(line)
            for item in sorted(written, key=lambda o: o["Key"])
            for line in client.get_object(Bucket="it2en", Key=item["Key"])["Body"].read().splitlines()
        ]
        assert records[:24] == expected_records(tiny_models)
