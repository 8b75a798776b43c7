"""The weight-sharing supernet: model, training, checkpoints and the evaluator that scores genotypes."""
