"""Keeping a model across kernels: a fit checkpointed in one kernel resumes in a new one and ends with
the same weights, to the last bit, as an uninterrupted fit; a bad file is a clear error in the cell."""
import json
import struct

from kernel_helpers import execute, ok, result_of, start

MODEL = """
class PersistNet: Classifier {
  let hidden = Linear(outputs: 16), dropout = Dropout(0.2), out = Linear(outputs: 3)
  override func forward(_ x: Tensor) -> Tensor { out(dropout(hidden(x).relu())) }
  override func configureOptimizers() -> Optimizer { SGD(parameters, lr: lr, momentum: 0.9) }
}
let persistData = SyntheticClassification(numTrain: 400, numVal: 100, numFeatures: 4, numClasses: 3, batchSize: 32)
"""


def tensors(path):
    """A safetensors file's tensors as {name: (dtype, shape, bytes)} (read by hand: no numpy here)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    return {name: (entry["dtype"], entry["shape"], body[entry["data_offsets"][0]:entry["data_offsets"][1]])
            for name, entry in header.items() if name != "__metadata__"}


def in_new_kernel(*cells):
    km, kc = start()
    try:
        return [execute(kc, cell) for cell in cells]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_fit_resumed_in_a_new_kernel_ends_as_the_uninterrupted_one(tmp_path):
    straight, resumed, ckpt = tmp_path / "straight.safetensors", tmp_path / "resumed.safetensors", tmp_path / "ckpt"
    first = in_new_kernel(
        MODEL,
        f'Random.seed(7)\nlet straight = PersistNet(lr: 0.2)\nstraight.board.display = false\n'
        f'Trainer(maxEpochs: 4).fit(straight, persistData)\ntry straight.save(to: "{straight}")',
        f'Random.seed(7)\nlet half = PersistNet(lr: 0.2)\nhalf.board.display = false\n'
        f'Trainer(maxEpochs: 2, checkpointDirectory: "{ckpt}").fit(half, persistData).epochs.count')
    assert all(reply["status"] == "ok" for reply, _ in first), first
    assert result_of(first[2][1]) == "2"
    assert [p.name for p in ckpt.iterdir()] == ["epoch-2.safetensors"]  # the newest only, by default

    second = in_new_kernel(
        MODEL,
        f'let resumed = PersistNet(lr: 0.2)\nresumed.board.display = false\n'
        f'let history = try Trainer(maxEpochs: 4).fit(resumed, persistData, resumingFrom: "{ckpt}")\n'
        f'try resumed.save(to: "{resumed}")\nhistory.epochs.map(\\.epoch)',
        f'try resumed.load(from: "{tmp_path}/missing.safetensors")',
        f'try resumed.load(from: "{straight}")\n"loaded"')
    assert second[1][0]["status"] == "ok", second[1]
    assert result_of(second[1][1]) == "[1, 2, 3, 4]"
    a, b = tensors(straight), tensors(resumed)
    assert sorted(a) == ["hidden.bias", "hidden.weight", "out.bias", "out.weight"]
    assert a == b  # every tensor, bit for bit
    reply, _ = second[2]
    assert reply["status"] == "error" and reply["ename"] == "SafetensorsError"
    assert f"{tmp_path}/missing.safetensors: cannot open" in reply["evalue"]
    assert second[3][0]["status"] == "ok" and result_of(second[3][1]) == '"loaded"'
