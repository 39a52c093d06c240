/// Errors reading a data set.
public enum DataSetError: Error, CustomStringConvertible, Equatable {
  case missing(directory: String, file: String)
  case unreadable(file: String, reason: String)
  case malformed(file: String, reason: String)

  public var description: String {
    switch self {
    case .missing(let directory, let file):
      "Fashion-MNIST was not found: \(directory)/\(file) does not exist. Install Debian's package "
        + "dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or set FASHION_MNIST_DIR to a folder "
        + "with train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz."
    case .unreadable(let file, let reason): "cannot read \(file): \(reason)"
    case .malformed(let file, let reason): "\(file) is not a valid IDX file: \(reason)"
    }
  }
}
