/// Data for training and validation (the book's `DataModule`).
open class DataModule {
  public var batchSize: Int

  public init(batchSize: Int) { self.batchSize = batchSize }

  open func trainDataloader() -> DataLoader {
    preconditionFailure("\(type(of: self)) does not define trainDataloader()")
  }

  /// The validation data; nil when there is none (the trainer then skips validation). Data modules that
  /// always have it (`FashionMNIST`, `SyntheticClassification`) override this with `-> DataLoader`.
  open func valDataloader() -> DataLoader? { nil }
}
