// A small float graph in the qcc dialect: conv -> batch norm -> relu ->
// global average pool -> linear. utils/demo.sh compiles it with
// `qcc --emit=mlir`, which runs the prepare pipeline (batch norm folded into
// the convolution, dead code removed).
func.func @main(%image: tensor<1x1x8x8xf32>) -> tensor<1x3xf32> {
  %w = qcc.constant dense<[[[[0.5, -0.5], [0.25, 1.0]]], [[[1.0, 0.0], [0.0, -1.0]]]]> : tensor<2x1x2x2xf32>
  %b = qcc.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %gamma = qcc.constant dense<[1.5, 0.5]> : tensor<2xf32>
  %beta = qcc.constant dense<[0.0, 0.3]> : tensor<2xf32>
  %mean = qcc.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %var = qcc.constant dense<[4.0, 0.25]> : tensor<2xf32>
  %fc = qcc.constant dense<[[1.0, -1.0, 0.5], [0.25, 0.75, -0.5]]> : tensor<2x3xf32>
  %conv = qcc.conv %image, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x8x8xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  %bn = qcc.batch_norm %conv, %gamma, %beta, %mean, %var : (tensor<1x2x8x8xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  %relu = qcc.relu %bn : tensor<1x2x8x8xf32>
  %pool = qcc.reduce_mean %relu {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x2x8x8xf32>) -> tensor<1x2xf32>
  %logits = qcc.matmul %pool, %fc : (tensor<1x2xf32>, tensor<2x3xf32>) -> tensor<1x3xf32>
  return %logits : tensor<1x3xf32>
}
