"""The classification runtime as a notebook user meets it: preloaded in every cell of the kernel."""

import pytest

from kernel_helpers import collect_iopub, execute, result_of, start, text_of, until_file, wait_for_output, wait_reply


@pytest.fixture(scope="module")
def kc():
    km, kc = start()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_a_model_defined_in_a_cell_trains(kc):
    _, client = kc
    reply, _ = execute(client, "let data = SyntheticClassification(numTrain: 2000, numVal: 400, numFeatures: 4, numClasses: 3, batchSize: 64)")
    assert reply["status"] == "ok"
    reply, _ = execute(client, """
class TwoLayer: Classifier {
  let hidden = Linear(outputs: 32), out = Linear(outputs: 3)
  override func forward(_ x: Tensor) -> Tensor { out(hidden(x).relu()) }
}
extension Classifier { func errorRate(_ yHat: Tensor, _ y: Tensor) -> Double { 1 - Double(accuracy(yHat, y).item) } }
""")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(client, "let model = TwoLayer(lr: 0.5)\nlet history = Trainer(maxEpochs: 3).fit(model, data)\nhistory.epochs.count")
    assert reply["status"] == "ok" and result_of(outputs) == "3"
    reply, outputs = execute(client, "history.last!.valAccuracy! > 0.8 && model.parameters.count == 4")
    assert result_of(outputs) == "true"


def test_a_missing_data_set_is_a_clear_error_and_keeps_state(kc):
    _, client = kc
    execute(client, "let kept = 41")
    reply, outputs = execute(client, 'import Foundation\nsetenv("FASHION_MNIST_DIR", "/nonexistent/fashion", 1)\nlet fashion = FashionMNIST(batchSize: 8)\nprint("cell went on")')
    assert reply["status"] == "error" and reply["ename"] == "DataSetError"
    assert "dataset-fashion-mnist" in reply["evalue"] and "FASHION_MNIST_DIR" in reply["evalue"]
    assert [t for t, _ in outputs].count("error") == 1
    reply, outputs = execute(client, "kept + 1")
    assert result_of(outputs) == "42"  # no restart: the session's state is still there
    execute(client, 'unsetenv("FASHION_MNIST_DIR")')


def test_interrupt_stops_training_between_batches_and_keeps_the_model(kc):
    km, client = kc
    execute(client, "let big = SyntheticClassification(numTrain: 200000, numVal: 1000, numFeatures: 32, numClasses: 5, batchSize: 64)\nlet slow = MLP(numOutputs: 5, numHiddens: 512)")
    msg_id = client.execute("let stopped = Trainer(maxEpochs: 100).fit(slow, big)")
    wait_for_output(client, msg_id)  # the progress board: training has started
    km.interrupt_kernel()
    reply = wait_reply(client, msg_id, timeout=60)
    collect_iopub(client, msg_id)
    assert reply["content"]["ename"] == "Interrupted"
    assert "state is kept" in "\n".join(reply["content"]["traceback"])
    reply, outputs = execute(client, "slow.parameters.map(\\.count).reduce(0, +)")
    assert reply["status"] == "ok" and int(result_of(outputs)) == 32 * 512 + 512 + 512 * 5 + 5


def test_display_reaches_iopub_while_the_cell_runs(kc, tmp_path):
    # The cell waits (at most 30 s) for a file the test makes only once the display has arrived: a display
    # held back until the cell ends would come after " gave up".
    _, client = kc
    go = tmp_path / "go"
    msg_id = client.execute(until_file(go, 'display(text: "early")', "late"))
    msg = wait_for_output(client, msg_id)
    go.touch()
    assert msg["msg_type"] == "display_data" and msg["content"]["data"]["text/plain"] == "early"
    wait_reply(client, msg_id)
    assert text_of(collect_iopub(client, msg_id)) == "late\n"


def test_training_shows_a_live_plot_updated_in_place(kc):
    _, client = kc
    msg_id = client.execute("let liveData = SyntheticClassification(numTrain: 20000, numVal: 2000, numFeatures: 20, numClasses: 4, batchSize: 32)\n"
                            "Trainer(maxEpochs: 2).fit(MLP(numOutputs: 4, numHiddens: 64), liveData)")
    reply = wait_reply(client, msg_id)
    outputs = collect_iopub(client, msg_id)
    assert reply["content"]["status"] == "ok"
    displays = [c for t, c in outputs if t == "display_data"]
    updates = [c for t, c in outputs if t == "update_display_data"]
    assert len(displays) == 1 and updates
    display_id = displays[0]["transient"]["display_id"]
    assert all(u["transient"]["display_id"] == display_id for u in updates)
    final = updates[-1]["data"]
    assert final["image/svg+xml"].startswith("<svg") and "val_acc" in final["text/plain"]
    # The History of the fit is the cell's value, as a table.
    result = [c for t, c in outputs if t == "execute_result"][0]["data"]
    assert "<table" in result["text/html"] and "val_acc" in result["text/plain"]


def test_a_residual_block_written_in_cells_trains_inside_sequential(kc):
    """The book's way to ResNet: a block class of one's own (two convolutions, batch normalization, a 1x1
    shortcut, the sum of the branches), named as the runtime's own `Residual`, used in a later cell inside
    `Sequential`; its parameters are found, evaluation mode reaches its batch normalization, and it learns."""
    _, client = kc
    reply, _ = execute(client, """
final class Residual: Layer {
  let conv1: Conv2d, conv2: Conv2d
  let conv3: Conv2d?
  let bn1 = BatchNorm(), bn2 = BatchNorm()
  init(numChannels: Int, use1x1Conv: Bool = false, strides: Int = 1) {
    conv1 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1, stride: strides)
    conv2 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1)
    conv3 = use1x1Conv ? Conv2d(outputs: numChannels, kernelSize: 1, stride: strides) : nil
  }
  func callAsFunction(_ x: Tensor) -> Tensor {
    var y = bn1(conv1(x)).relu()
    y = bn2(conv2(y))
    return (y + (conv3.map { $0(x) } ?? x)).relu()
  }
}
""")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(client, """
final class TinyResNet: Classifier {
  override init(lr: Double = 0.1, plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
    super.init(lr: lr)
    net = Sequential(Residual(numChannels: 4, use1x1Conv: true, strides: 2), Residual(numChannels: 4),
                     AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(), Linear(outputs: 3))
  }
}
/// Three classes of 1x8x8 images: bright, dark, or a checkerboard.
final class Halves: DataModule {
  override func trainDataloader() -> DataLoader { loader(600) }
  override func valDataloader() -> DataLoader? { loader(150) }
  func loader(_ n: Int) -> DataLoader {
    DataLoader(numExamples: n, batchSize: batchSize, shuffle: false) { idx in
      var pixels: [Float] = []
      for i in idx {
        for r in 0..<8 { for c in 0..<8 { pixels.append(i % 3 == 0 ? 1 : i % 3 == 1 ? 0 : Float((r + c) % 2)) } }
      }
      return Batch(x: Tensor(shape: [idx.count, 1, 8, 8], scalars: pixels), y: Tensor(idx.map { Float($0 % 3) }))
    }
  }
}
let tiny = TinyResNet(lr: 0.1)
let trained = Trainer(maxEpochs: 4).fit(tiny, Halves(batchSize: 50))
tiny.parameters.count""")
    assert reply["status"] == "ok", reply
    # Block 1: conv1, conv2, conv3 (weight and bias each), bn1, bn2 (γ, β); block 2 without conv3; the Linear.
    assert result_of(outputs) == str(10 + 8 + 2)
    reply, outputs = execute(client, "trained.last!.valAccuracy!")
    assert float(result_of(outputs)) > 0.9, outputs
