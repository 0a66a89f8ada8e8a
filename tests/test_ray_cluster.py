"""``it2en ray`` as real jobs meet it: a driver killed with ``kill -9`` and the command run
again, changed settings, a local S3 server for input and output (moto, on 127.0.0.1),
and a Ray cluster of several nodes, one of them removed mid-job. Tiny models, small
inputs, small shards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tiny import SENTENCES, tiny_config

from pipeline import Pipeline

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from pipeline.distributed import PROGRESS, DistributedOptions, run_distributed  # noqa: E402

pytestmark = pytest.mark.slow  # Ray clusters and servers of their own

DOCS = [(f"n{n:02d}", f"{SENTENCES[n % 7]} Numero {n}. {SENTENCES[(n + 2) % 7]}") for n in range(24)]


def write_corpus(folder: Path) -> Path:
    """24 documents in a JSONL file, one broken line among them, and a text file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in DOCS]
    lines.insert(5, "{rotto")
    (folder / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "nota.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    return folder


def expected_records(tiny_models: Path, summarize: bool = True) -> list[dict]:
    pipeline = Pipeline(tiny_config(tiny_models, num_beams=1))
    records = [r.to_dict() for r in pipeline.process_many(DOCS, summarize=summarize)]
    return json.loads(json.dumps(records))


def shards(read: dict[str, bytes], prefix: str) -> list[dict]:
    return [
        json.loads(line)
        for name in sorted(read)
        if name.startswith(prefix)
        for line in read[name].splitlines()
    ]


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ray_command(model_flags: list[str], source: Path | str, out: Path | str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline", "ray", str(source), str(out), *model_flags,
        "--records-per-shard", "4", "--docs-per-chunk", "2", "--num-beams", "1", *extra,
    ]  # fmt: skip


def test_a_driver_killed_mid_job_resumes_to_the_uninterrupted_output(tiny_models, model_flags, tmp_path):
    if ray.is_initialized():
        ray.shutdown()
    corpus = write_corpus(tmp_path / "in")
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    env = {**os.environ, "RAY_DEDUP_LOGS": "0"}
    run = subprocess.run(_ray_command(model_flags, corpus, whole), capture_output=True, text=True, env=env)
    assert run.returncode == 1, run.stderr  # the broken line is a failure
    driver = subprocess.Popen(
        _ray_command(model_flags, corpus, cut),
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not (cut / PROGRESS).exists():  # the first shard and its progress are written
        assert driver.poll() is None, driver.stderr.read() if driver.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait(timeout=60)
    progress = json.loads((cut / PROGRESS).read_text())
    assert not progress["done"]
    assert progress["part"] >= 1
    again = subprocess.run(_ray_command(model_flags, corpus, cut), capture_output=True, text=True, env=env)
    assert again.returncode == 1, again.stderr
    assert "resuming" in again.stderr
    assert "rows written by an earlier run" in again.stderr
    assert folder_files(cut) == folder_files(whole)  # byte for byte, the same shard names
    assert shards(folder_files(whole), "part-")[:24] == expected_records(tiny_models)
    # Nothing changed: a third run works no row at all.
    third = subprocess.run(_ray_command(model_flags, corpus, cut), capture_output=True, text=True, env=env)
    assert "already holds this job's complete output" in third.stderr
    assert folder_files(cut) == folder_files(whole)
    # Changed settings: the job starts over, and no shard of the old one is left.
    changed = subprocess.run(
        _ray_command(model_flags, corpus, cut, "--translate-only"), capture_output=True, text=True, env=env
    )
    assert "starting over" in changed.stderr
    assert shards(folder_files(cut), "part-")[:24] == expected_records(tiny_models, summarize=False)


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local S3 server (moto) on 127.0.0.1, with a bucket; its endpoint."""
    pytest.importorskip("moto", reason="moto[server] is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="prova",
        AWS_SECRET_ACCESS_KEY="segreto",
        AWS_DEFAULT_REGION="us-east-1",
    )
    import boto3

    deadline = time.monotonic() + 60
    while True:
        try:
            boto3.client("s3").create_bucket(Bucket="it2en")
            break
        except Exception:
            assert time.monotonic() < deadline, "the S3 server never started"
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(timeout=30)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def bucket(prefix: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client("s3")
    listed = client.list_objects_v2(Bucket="it2en", Prefix=prefix).get("Contents", [])
    return {  # without the folder's own marker object, which pyarrow makes
        o["Key"][len(prefix) :]: client.get_object(Bucket="it2en", Key=o["Key"])["Body"].read()
        for o in listed
        if o["Key"] != prefix
    }


def test_object_storage_in_and_out_with_a_retried_shard(s3, tiny_models, tmp_path):
    import boto3

    client = boto3.client("s3")
    corpus = write_corpus(tmp_path / "in")
    for path in corpus.iterdir():
        client.put_object(Bucket="it2en", Key=f"in/{path.name}", Body=path.read_bytes())
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)  # after the env
    try:
        config = tiny_config(tiny_models, num_beams=1, docs_per_chunk=2)
        options = DistributedOptions(records_per_shard=4)
        report = run_distributed(["s3://it2en/in/"], "s3://it2en/out/", config, options)
        assert (report.processed, report.failed) == (25, 1)
        written = bucket("out/")
        assert sorted(written) == [PROGRESS, "errors-00000.jsonl", *(f"part-{n:05d}.jsonl" for n in range(7))]
        assert shards(written, "part-")[:24] == expected_records(tiny_models)
        # The driver died after writing shards 2..6 but before recording them: the next run
        # writes them again under the same names, never twice.
        progress = json.loads(written[PROGRESS])
        progress.update(part=1, errors=0, through=[0, 3], processed=4, failed=0, done=False)
        client.put_object(Bucket="it2en", Key=f"out/{PROGRESS}", Body=json.dumps(progress).encode())
        again = run_distributed(["s3://it2en/in/"], "s3://it2en/out/", config, options)
        assert (again.processed, again.failed, again.skipped) == (25, 1, 4)
        assert bucket("out/") == written
    finally:
        ray.shutdown()


def test_a_cluster_of_three_nodes_and_a_node_lost_mid_job(tiny_models, tmp_path):
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    try:
        cluster.wait_for_nodes()
        assert len([n for n in ray.nodes() if n["Alive"]]) == 3
        corpus = write_corpus(tmp_path / "in")
        config = tiny_config(tiny_models, num_beams=1, docs_per_chunk=2)
        options = DistributedOptions(workers=2, records_per_shard=4)
        report = run_distributed([str(corpus)], tmp_path / "whole", config, options)
        assert (report.processed, report.failed) == (25, 1)
        assert shards(folder_files(tmp_path / "whole"), "part-")[:24] == expected_records(tiny_models)

        out = tmp_path / "lost"

        def remove_a_node() -> None:
            while not (out / PROGRESS).exists():
                time.sleep(0.02)
            cluster.remove_node(nodes[0], allow_graceful=False)

        remover = threading.Thread(target=remove_a_node, daemon=True)
        remover.start()
        lost = run_distributed([str(corpus)], out, config, options)
        remover.join(60)
        assert not remover.is_alive()  # the node was removed while the job ran
        # Ray marks a killed node dead once its health checks fail, seconds after the kill.
        deadline = time.monotonic() + 60
        while len([n for n in ray.nodes() if n["Alive"]]) != 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        assert (lost.processed, lost.failed) == (25, 1)
        assert lost.restarts <= 1  # 1 when the lost node's actor came back for a batch
        assert folder_files(out) == folder_files(tmp_path / "whole")  # each record once, in order
    finally:
        ray.shutdown()
        cluster.shutdown()
