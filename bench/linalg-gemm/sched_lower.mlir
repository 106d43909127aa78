// Schedule (phase 2) for the packed variants, after the contiguous n-D
// transfers were flattened to 1-D (--test-vector-transfer-flatten-patterns):
// the remaining transfers become 1-D vector loads/stores (broadcast reads
// become a load and a broadcast). --test-vector-linearize then turns the
// remaining n-D elementwise ops into 1-D ones before LLVM conversion.
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.transfer_to_scf max_transfer_rank = 1 full_unroll = true
      transform.apply_patterns.vector.lower_shape_cast
      transform.apply_patterns.vector.lower_broadcast
    } : !transform.any_op
    transform.yield
  }
}
