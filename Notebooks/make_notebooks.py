import nbformat
from nbformat.v4 import new_notebook, new_markdown_cell as md, new_code_cell as code

META = {"kernelspec": {"name": "swift", "display_name": "Swift (Classification)", "language": "swift"},
        "language_info": {"name": "swift", "file_extension": ".swift", "mimetype": "text/x-swift"}}

def params(text):
    return code(text, metadata={"tags": ["parameters"]})

def save(name, cells):
    nb = new_notebook(cells=cells, metadata=META)
    nbformat.validate(nb)
    nbformat.write(nb, f"Notebooks/{name}.ipynb")

save("classification", [
    md("# The base classification model, in Swift\n\n"
       "Many models in the chapters ahead classify, so the conveniences they share live in one base class: `Classifier`, a subclass of `Module`. "
       "This notebook walks through its design in this kernel's runtime, trains softmax regression on the real Fashion-MNIST with a live plot, "
       "and answers the section's three exercises in code."),
    params("// Parameters: a shorter run for tests (`swift-kernel run -p epochs=1`, `papermill -p epochs 1`).\nvar epochs = 10\nvar batchSize = 256\nvar lr = 0.1"),
    md("## The `Classifier` class\n\n"
       "`Classifier.validationStep` computes the model's output on a validation batch and plots two numbers against the epoch: the loss (`val_loss`) and the accuracy (`val_acc`). "
       "The book averages the batch values unweighted, so a short last batch counts as much as a full one. "
       "Here the `Trainer` weights each batch by its size, so `History` and the plot show the exact validation loss and accuracy.\n\n"
       "Where the book adds a method to a class with `@add_to_class`, Swift uses an `extension`; where it replaces a method, a subclass `override`s it. "
       "Both work across cells:"),
    code("extension Classifier {\n  /// The error rate, 1 − accuracy: added to every classifier, as `@add_to_class` would.\n  func errorRate(_ yHat: Tensor, _ y: Tensor) -> Double { 1 - Double(accuracy(yHat, y).item) }\n}\n\n"
         "/// Softmax regression whose validation step also plots the error rate: `override` replaces the inherited step.\n"
         "class VerboseSoftmax: SoftmaxRegression {\n  override func validationStep(_ batch: Batch) {\n    super.validationStep(batch)\n    let yHat = self(batch.x)\n    plot(\"err\", Tensor(scalar: Float(errorRate(yHat, batch.y))), train: false)\n  }\n}"),
    md("## Accuracy\n\n"
       "`accuracy(_:_:averaged:)` treats each row of the predictions as class scores, takes the `argmax` of each row as the predicted class, compares it with the labels (class indices), "
       "and returns the mean, or the 0/1 vector when `averaged` is false. Accuracy is not differentiable, so it is reported, not optimised."),
    code("let classifier = Classifier()\nlet scores = Tensor([[0.1, 0.3, 0.6], [0.5, 0.2, 0.3], [0.2, 0.7, 0.1]])\nlet labels = Tensor([2, 1, 1])\n"
         "print(\"averaged:\", classifier.accuracy(scores, labels).item)\nprint(\"per example:\", classifier.accuracy(scores, labels, averaged: false).scalars)"),
    md("## `configureOptimizers` and training\n\n"
       "`Module.configureOptimizers()` returns minibatch SGD over the model's parameters with its learning rate `lr`, as for linear regression. "
       "The `Trainer` calls it once, then alternates training steps and a validation pass; the plot below updates while it trains."),
    code("let data = FashionMNIST(batchSize: batchSize)\nlet model = VerboseSoftmax(numOutputs: 10, lr: lr)\nlet history = Trainer(maxEpochs: epochs).fit(model, data)\nhistory"),
    code("print(\"final validation accuracy:\", history.last!.valAccuracy!)"),
    md("## Exercise 1: the exact validation loss from the quick estimate\n\n"
       "Let the validation set have $N$ examples in batches of $b$, the last one with $r = N - (n_b - 1) b$ examples, and let $l_i$ be the mean loss of batch $i$. "
       "The quick estimate is $L^q_v = \\frac{1}{n_b} \\sum_i l_i$; the exact loss is $L_v = \\frac{1}{N}\\left(b \\sum_{i < n_b} l_i + r\\, l^b_v\\right)$ with $l^b_v$ the last batch's loss. "
       "Since $\\sum_{i<n_b} l_i = n_b L^q_v - l^b_v$:\n\n"
       "$$L_v = \\frac{b}{N}\\left(n_b L^q_v - l^b_v\\right) + \\frac{r}{N}\\, l^b_v.$$"),
    code("var batchLosses: [Double] = []\nvar batchSizes: [Int] = []\nwithoutGrad {\n  for batch in data.valDataloader() {\n"
         "    batchLosses.append(Double(model.loss(model(batch.x), batch.y).item))\n    batchSizes.append(batch.count)\n  }\n}\n"
         "let n = Double(batchSizes.reduce(0, +)), nb = Double(batchSizes.count), b = Double(batchSizes[0])\n"
         "let quick = batchLosses.reduce(0, +) / nb\nlet last = batchLosses.last!, r = Double(batchSizes.last!)\n"
         "let fromFormula = b / n * (nb * quick - last) + r / n * last\n"
         "print(\"last batch:\", batchSizes.last!, \"of\", batchSizes[0])\n"
         "print(\"quick estimate:\", quick)\nprint(\"exact, from the formula:\", fromFormula)\nprint(\"exact, from History:\", history.last!.valLoss!)"),
    md("## Exercise 2: the quick estimate is unbiased\n\n"
       "Shuffle the validation set at random before batching. Each batch is then a uniform random sample of the examples, so its mean loss $l_i$ has expectation $L_v$, "
       "whatever its size; hence $E[L^q_v] = \\frac{1}{n_b}\\sum_i E[l_i] = L_v$. "
       "The exact loss is still preferable: the quick estimate varies with which examples land in the short last batch (its variance is not zero), while $L_v$ is the same number every time. "
       "Checked numerically over random shuffles of the per-example losses:"),
    code("let perExample = withoutGrad { () -> [Float] in\n  var all: [Float] = []\n  for batch in data.valDataloader() { all += crossEntropy(model(batch.x), batch.y, averaged: false).scalars }\n  return all\n}\n"
         "let exact = perExample.reduce(0, +) / Float(perExample.count)\nvar estimates: [Float] = []\nvar order = Array(perExample.indices)\n"
         "for _ in 0..<200 {\n  order.shuffle()\n  var total: Float = 0\n  var start = 0\n  var means: [Float] = []\n"
         "  while start < order.count {\n    let end = min(start + batchSize, order.count)\n    total = 0\n    for i in start..<end { total += perExample[order[i]] }\n"
         "    means.append(total / Float(end - start))\n    start = end\n  }\n  estimates.append(means.reduce(0, +) / Float(means.count))\n}\n"
         "let mean = estimates.reduce(0, +) / Float(estimates.count)\nlet spread = (estimates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(estimates.count)).squareRoot()\n"
         "print(\"exact:\", exact, \" mean of 200 quick estimates:\", mean, \" their standard deviation:\", spread)"),
    md("## Exercise 3: the Bayes-optimal prediction under a loss\n\n"
       "If predicting $y'$ when the truth is $y$ costs $l(y, y')$, the prediction that minimises the expected loss given $x$ is\n\n"
       "$$\\hat y(x) = \\operatorname{argmin}_{y'} \\sum_y l(y, y')\\, p(y \\mid x),$$\n\n"
       "the argmin of $\\Lambda^\\top p$ for the loss matrix $\\Lambda$. With the 0-1 loss this is the most probable class. "
       "Below, calling a shirt (class 6) a t-shirt (class 0) costs 5 instead of 1, so borderline shirts are no longer called t-shirts:"),
    code("var costs = [[Float]](repeating: [Float](repeating: 1, count: 10), count: 10)\nfor i in 0..<10 { costs[i][i] = 0 }\ncosts[6][0] = 5\n"
         "let lossMatrix = Tensor(costs)\nvar plain: [Int] = [], careful: [Int] = [], truth: [Int] = []\n"
         "for batch in data.valDataloader() {\n  plain += model.predict(batch.x)\n  careful += model.predict(batch.x, lossMatrix: lossMatrix)\n  truth += batch.y.scalars.map { Int($0) }\n}\n"
         "func cost(_ predictions: [Int]) -> Float { zip(truth, predictions).map { costs[$0][$1] }.reduce(0, +) }\n"
         "print(\"changed predictions:\", zip(plain, careful).filter { $0 != $1 }.count, \"of\", plain.count)\n"
         "print(\"t-shirt predictions:\", plain.filter { $0 == 0 }.count, \"->\", careful.filter { $0 == 0 }.count)\n"
         "print(\"mean cost per example over the validation set:\", cost(plain) / Float(truth.count), \"->\", cost(careful) / Float(truth.count))"),
    md("Which classes get confused with which: rows are the true class, columns the prediction."),
    code("model.confusionMatrix(on: data.valDataloader())"),
    md("## Keeping the trained model\n\n"
       "`save(to:)` writes the weights as safetensors, named as PyTorch's `state_dict()` names the same model (`net.1.weight`, `net.1.bias`), "
       "and `load(from:)` reads them into a fresh model (a lazy layer takes its size from the file). "
       "Nothing needs restarting to check it: the fresh model has the trained one's validation accuracy."),
    code("try model.save(to: \"softmax_regression.safetensors\")\n"
         "let restored = VerboseSoftmax(numOutputs: 10, lr: lr)\ntry restored.load(from: \"softmax_regression.safetensors\")\n"
         "func validationAccuracy(_ m: Classifier) -> Double {\n  var (correct, count) = (0.0, 0.0)\n"
         "  withoutGrad {\n    for batch in data.valDataloader() {\n      correct += Double(m.accuracy(m(batch.x), batch.y, averaged: false).sum().item)\n"
         "      count += Double(batch.count)\n    }\n  }\n  return correct / count\n}\n"
         "print(\"trained:\", validationAccuracy(model), \" loaded into a fresh model:\", validationAccuracy(restored))"),
    md("PyTorch reads the same file into the book's `SoftmaxRegression` (its `LazyLinear` takes its size from the file too):\n\n"
       "```python\nfrom safetensors.torch import load_file\nmodel = SoftmaxRegression(num_outputs=10, lr=0.1)  # the book's class; net = Sequential(Flatten(), LazyLinear(10))\n"
       "model.load_state_dict(load_file(\"softmax_regression.safetensors\"))\n```"),
    md("## Summary\n\nWhatever loss a classifier minimises, accuracy is the number people usually care about; `Classifier` reports it on the validation set at every epoch, "
       "exactly, next to the loss."),
])

def book(name, title, text, setup, model_line, batch=256):
    save(name, [
        md(f"# {title}\n\n{text}"),
        params(f"// Parameters: a shorter run for tests (`-p epochs=1`).\nvar epochs = 10\nvar batchSize = {batch}"),
        code(f"let data = FashionMNIST(batchSize: batchSize)\n{setup}"),
        code(f"{model_line}\nlet history = Trainer(maxEpochs: epochs).fit(model, data)\nhistory"),
        code("print(\"final validation accuracy:\", history.last!.valAccuracy!)"),
    ])

book("softmax_regression_scratch", "Softmax regression from scratch",
     "The model is $\\hat{\\mathbf y} = \\mathrm{softmax}(\\mathbf X \\mathbf W + \\mathbf b)$ with its parameters as plain tensors, and the loss is the cross-entropy of the predicted probabilities, "
     "$-\\log \\hat y_{y}$, as the book writes it. The parameters are found by reflection: any stored `Tensor` that requires a gradient is trained.",
     "let probabilities = Tensor([[1, 2, 3], [1, 1, 1]]).softmax(axis: 1)\nprint(probabilities, \"rows sum to\", probabilities.sum(axis: 1).scalars)",
     "let model = SoftmaxRegressionScratch(numInputs: 784, numOutputs: 10, lr: 0.1)")
book("softmax_regression", "Softmax regression, concisely",
     "A lazy `Linear` layer learns its input size from the first batch, and `crossEntropy` fuses the log-softmax with the loss, so logits of any size are safe (see the cell below).",
     "print(crossEntropy(Tensor([[1000, -1000]]), Tensor([0])).item, crossEntropy(Tensor([[1000, -1000]]), Tensor([1])).item)",
     "let model = SoftmaxRegression(numOutputs: 10, lr: 0.1)")
book("mlp", "Multilayer perceptrons",
     "One hidden layer of 256 ReLU units between the flattened image and the ten class scores.",
     "print(\"relu:\", Tensor([-2, -0.5, 0, 0.5, 2]).relu().scalars)",
     "let model = MLP(numOutputs: 10, numHiddens: 256, lr: 0.1)")
book("dropout", "Dropout",
     "Two hidden layers, each followed by dropout with probability 0.5 while training; the `Trainer` turns dropout off for validation.",
     "let layer = Dropout(0.5)\nprint(\"training:\", layer(Tensor(ones: [8])).scalars)\nlayer.isTraining = false\nprint(\"evaluating:\", layer(Tensor(ones: [8])).scalars)",
     "let model = DropoutMLP(numOutputs: 10, numHiddens1: 256, numHiddens2: 256, dropout1: 0.5, dropout2: 0.5, lr: 0.1)")
book("lenet", "LeNet",
     "Two convolutions with sigmoid activations and average pooling, then three dense layers; the weights are Xavier-initialised on the first batch. "
     "Sigmoid LeNet starts slowly: the loss stays near log 10 for the first epoch, then drops.",
     "var iterator = data.trainDataloader().makeIterator()\ndata.visualize(iterator.next()!, nrows: 1, ncols: 8)",
     "let model = LeNet(lr: 0.1, numClasses: 10)", batch=128)

save("batch_norm", [
    md("# Batch normalization\n\n"
       "Batch normalization (the book's section 8.5) standardises each channel over the minibatch, then scales and shifts it with two learned "
       "parameters, γ and β. While training it uses the batch's mean and variance and keeps running averages of them; while evaluating it uses the "
       "running averages. `BatchNorm()` learns its size from the first batch, as PyTorch's `LazyBatchNorm2d`; `Module.training` (which the `Trainer` "
       "switches for validation) switches it between the two."),
    params("// Parameters: a shorter run for tests (`-p epochs=1`).\nvar epochs = 10\nvar batchSize = 128"),
    md("On a batch of two images of two channels, per channel: while training the output has mean 0 and variance 1, and the running statistics "
       "move a tenth of the way (PyTorch's momentum 0.1) towards the batch's (the variance unbiased, as PyTorch keeps it); while evaluating nothing moves."),
    code("let norm = BatchNorm()\nlet x = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 0, 0, 3, 6, 4, 4])\n"
         "print(\"training:\", norm(x).scalars)\nprint(\"running mean:\", norm.runningMean.scalars, \" running variance:\", norm.runningVar.scalars)\n"
         "norm.isTraining = false\nprint(\"evaluating:\", norm(x).scalars)\nprint(\"parameters:\", norm.parameters.map(\\.shape), \" batches tracked:\", norm.numBatchesTracked)"),
    md("The book first writes the layer from tensor operations; `BatchNormScratch` is that version, and gives the same values:"),
    code("let scratch = BatchNormScratch(numFeatures: 2, numDims: 4)\nprint(scratch(x).scalars)"),
    md("## BNLeNet\n\nLeNet with batch normalization after each convolution and each dense layer, before the sigmoid (44,878 parameters, as PyTorch's)."),
    code("let data = FashionMNIST(batchSize: batchSize)\nlet model = BNLeNet(lr: 0.1)\nlet history = Trainer(maxEpochs: epochs).fit(model, data)\nhistory"),
    code("print(\"parameters:\", model.parameters.map(\\.count).reduce(0, +))\n"
         "let first = model.net![1] as! BatchNorm\nprint(\"γ of the first batch normalization:\", first.weight.scalars)\nprint(\"β:\", first.bias.scalars)"),
    code("print(\"final validation accuracy:\", history.last!.valAccuracy!)"),
])

save("resnet", [
    md("# Residual networks (ResNet)\n\n"
       "The book's section 8.6 builds ResNet-18 from residual blocks: two 3×3 convolutions with batch normalization, and the block's input added back "
       "to their output (through a 1×1 convolution when the channels or the size change). This notebook writes the block and the network as the book "
       "does, checks the shapes, and trains it.\n\n"
       "**Budget.** The book trains ResNet-18 on 96×96 images for 10 epochs on a GPU. On this machine's two cores a training step at 96×96 and batch 128 "
       "takes a few seconds (see `bench/train.py`), so an epoch would take half an hour. Here it trains at the data set's own 28×28 on the first "
       "`trainExamples` training images for `epochs` epochs (defaults: 20,000 and 3), and validates on the whole validation set: "
       "about 3 minutes on a quiet machine here, for about 0.85 validation accuracy (0.8456 measured)."),
    params("// Parameters: the budget (`-p epochs=1`, `-p trainExamples=...`).\nvar epochs = 3\nvar batchSize = 128\nvar trainExamples = 20000"),
    md("## The residual block\n\nWritten in a cell as the book writes it; a class of one's own is a `Layer`, its parameters are found by reflection, "
       "and batch normalization inside it follows the model's `training`."),
    code("final class Residual: Layer {\n"
         "  let conv1: Conv2d, conv2: Conv2d\n  let conv3: Conv2d?\n  let bn1 = BatchNorm(), bn2 = BatchNorm()\n\n"
         "  init(numChannels: Int, use1x1Conv: Bool = false, strides: Int = 1) {\n"
         "    conv1 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1, stride: strides)\n"
         "    conv2 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1)\n"
         "    conv3 = use1x1Conv ? Conv2d(outputs: numChannels, kernelSize: 1, stride: strides) : nil\n  }\n\n"
         "  func callAsFunction(_ x: Tensor) -> Tensor {\n    var y = bn1(conv1(x)).relu()\n    y = bn2(conv2(y))\n"
         "    let shortcut = conv3.map { $0(x) } ?? x\n    return (y + shortcut).relu()\n  }\n}"),
    code("let x = Tensor(randomNormal: [4, 3, 6, 6], std: 1)\nprint(Residual(numChannels: 3)(x).shape)\n"
         "print(Residual(numChannels: 6, use1x1Conv: true, strides: 2)(x).shape)"),
    md("## ResNet-18\n\nA stem (7×7 convolution, batch normalization, 3×3 max pooling with stride 2 and padding 1), four modules of two residual blocks, "
       "global average pooling and a dense layer. The modules are added by name, as the book's `add_module` does, so the weights' names match PyTorch's."),
    code("class MyResNet: Classifier {\n"
         "  init(arch: [(Int, Int)], lr: Double = 0.1, numClasses: Int = 10) {\n    super.init(lr: lr)\n"
         "    let net = Sequential(Sequential(\n      Conv2d(outputs: 64, kernelSize: 7, padding: 3, stride: 2), BatchNorm(), ReLU(),\n"
         "      MaxPool2d(kernelSize: 3, stride: 2, padding: 1)))\n"
         "    for (i, b) in arch.enumerated() {\n      net.add(block(numResiduals: b.0, numChannels: b.1, firstBlock: i == 0), name: \"b\\(i + 2)\")\n    }\n"
         "    net.add(Sequential(AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(), Linear(outputs: numClasses)), name: \"last\")\n"
         "    self.net = net\n  }\n\n"
         "  func block(numResiduals: Int, numChannels: Int, firstBlock: Bool = false) -> Sequential {\n"
         "    Sequential((0..<numResiduals).map { i -> Layer in\n"
         "      i == 0 && !firstBlock ? Residual(numChannels: numChannels, use1x1Conv: true, strides: 2) : Residual(numChannels: numChannels)\n    })\n  }\n}\n\n"
         "final class MyResNet18: MyResNet {\n  init(lr: Double = 0.1, numClasses: Int = 10) {\n"
         "    super.init(arch: [(2, 64), (2, 128), (2, 256), (2, 512)], lr: lr, numClasses: numClasses)\n  }\n}"),
    md("The shape after each module for one 96×96 image (the book's table), and the parameter count (PyTorch's ResNet-18 written the book's way has 11,178,378):"),
    code("let probe = MyResNet18()\nvar y = Tensor(zeros: [1, 1, 96, 96])\nprobe.training = false\n"
         "for (name, layer) in zip(probe.net!.names, probe.net!.layers) {\n  y = layer(y)\n  print(name, \"output shape:\", y.shape)\n}\n"
         "print(\"parameters:\", probe.parameters.map(\\.count).reduce(0, +))"),
    md("## Training, on this machine's budget\n\nThe first `trainExamples` images of the training set, as a `DataModule` of one's own:"),
    code("final class FirstExamples: DataModule {\n  let data: FashionMNIST\n  let count: Int\n"
         "  init(_ data: FashionMNIST, count: Int) {\n    (self.data, self.count) = (data, count)\n    super.init(batchSize: data.batchSize)\n  }\n"
         "  override func trainDataloader() -> DataLoader {\n    let data = self.data\n"
         "    return DataLoader(numExamples: count, batchSize: batchSize, shuffle: true) { indices in\n"
         "      Batch(\n        x: Tensor(shape: [indices.count, 1, 28, 28], scalars: indices.flatMap { i in data.trainImages[(i * 784)..<((i + 1) * 784)].map { Float($0) / 255 } }),\n"
         "        y: Tensor(indices.map { Float(data.trainLabels[$0]) }))\n    }\n  }\n"
         "  override func valDataloader() -> DataLoader? { data.valDataloader() }\n}"),
    code("let data = FirstExamples(FashionMNIST(batchSize: batchSize), count: trainExamples)\nlet model = MyResNet18(lr: 0.01)\n"
         "// The book's init_cnn: Xavier-uniform weights, the lazy layers sized by a first batch.\n"
         "model.applyInit(Tensor(zeros: [1, 1, 28, 28]), xavierUniform)\n"
         "let history = Trainer(maxEpochs: epochs).fit(model, data)\nhistory"),
    code("print(\"final validation accuracy:\", history.last!.valAccuracy!)"),
    md("The runtime's `ResNet18()` is the same network, ready to use (with `Residual`, `ResNet(arch:)` and the book's other models of the chapter: "
       "`AlexNet`, `VGG(arch:)`, `NiN`, `GoogleNet`, `BNLeNet`, `DenseNet`, `RegNetX32`)."),
])

save("debugging", [
    md("# Debugging a cell in JupyterLab\n\n"
       "The kernel serves JupyterLab's visual debugger: breakpoints in a cell's gutter, the variables of the line it stopped at, "
       "stepping, and expressions evaluated where it stopped. Behind it is the toolchain's `lldb-dap`, attached to the executor "
       "process that runs the cells. The debugger is there when `swift-kernel install` found a working `lldb-dap` "
       "(`scripts/setup.sh` finds the `libpython3.10` it needs); otherwise the kernelspec says `debugger: false`, "
       "JupyterLab shows no bug icon, and the kernel's log says why.\n\n"
       "This notebook runs as it is (headless too); the steps below are what to do in JupyterLab to find a bug with the debugger."),
    md("## A loss that turns into NaN\n\n"
       "A helper in one cell, a loop in another: the mean of each batch's losses. One of the means comes out `-nan` (not a number)."),
    code("func mean(_ values: [Double]) -> Double {\n  let total = values.reduce(0, +)\n  return total / Double(values.count)\n}"),
    code("let batches: [[Double]] = [[0.9, 0.7], [0.4], []]\nvar means: [Double] = []\nfor batch in batches {\n  let m = mean(batch)\n  means.append(m)\n}\nprint(means)"),
    md("## Finding it with the debugger\n\n"
       "1. Press the bug icon in the notebook's toolbar: the debugger starts (JupyterLab sends `initialize` and `attach`; "
       "the kernel attaches `lldb-dap` to the executor) and the debugger's sidebar opens on the right.\n"
       "2. Click in the gutter beside line 3 of `mean`'s cell (`return total / Double(values.count)`): a red dot marks the breakpoint. "
       "Breakpoints work in any cell, also in functions of cells that ran before the debugger started.\n"
       "3. Run the loop's cell. It stops in `mean`, the line is highlighted, and the Variables panel shows `values` and `total`; "
       "the call stack shows `mean(_:)` above the loop's cell.\n"
       "4. Press Continue (▶) in the Callstack panel twice. At the third stop `values` has no elements and `total` is `0`.\n"
       "5. In the debug console (the Evaluate Code button), `values.count` answers `0`: the division is `0 / 0`.\n"
       "6. Press Continue; the cell ends and prints its means. Press the bug icon again to stop the debugger.\n\n"
       "Next (step over), Step In and Step Out work as in any debugger. Expressions may use the cells' own types and functions."),
    md("## The fix\n\n"
       "An empty batch has no mean: skip it, or say so."),
    code("func meanOfBatch(_ values: [Double]) -> Double? {\n  guard !values.isEmpty else { return nil }\n  return values.reduce(0, +) / Double(values.count)\n}\n"
         "print(batches.compactMap(meanOfBatch))"),
    md("## What to know\n\n"
       "- Interrupting a cell that is stopped at a breakpoint ends the cell; the session's state is kept, as for any interrupt.\n"
       "- With the debugger on, compile errors and traps still name `<Cell N>` and the line. A trap (an index out of range, say) "
       "stops in the debugger first; Continue lets the cell end with its error.\n"
       "- If the executor restarts (`%reset`, a crash), the debugger attaches to the new one and sets its breakpoints again. If `lldb-dap` "
       "itself dies, the kernel restarts the executor (its breakpoint instructions would stay in the code) and says so in the next cell's output.\n"
       "- With the debugger off, a cell costs what it cost before the debugger existed (`bench/kernel_latency.py --debugger`)."),
])
