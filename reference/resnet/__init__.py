"""ResNet-9 timing reference for the resnet_blog problem (trusted side only)."""
from reference.resnet.data import Dataset, find_cifar10, load_cifar10, load_dataset, make_synthetic, verify_cifar10
from reference.resnet.model import ResNet9
from reference.resnet.train import CPU_TINY, TrainConfig, TrainResult, accuracy, train, train_dataset

__all__ = ["CPU_TINY", "Dataset", "ResNet9", "TrainConfig", "TrainResult", "accuracy", "find_cifar10",
           "load_cifar10", "load_dataset", "make_synthetic", "train", "train_dataset", "verify_cifar10"]
