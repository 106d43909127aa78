//===- Interpreter.h - reference interpreter of the qcc dialect -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Executes a `func.func` of qcc ops on concrete tensors, op by op in program
// order, with the semantics written in QccOps.td (docs/Interpreter.md lists
// the details the op descriptions leave open). It is the float reference for
// accuracy checks and the engine of calibration, so the heavy kernels
// (matmul, conv) are blocked and multi-threaded.
//
// Errors -- a wrong number, type or shape of inputs, an op or element type
// the interpreter does not implement, a run-time error such as a gather
// index out of range -- are MLIR diagnostics at the offending op (or at the
// function for inputs), reported through the context's handler.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_INTERPRETER_INTERPRETER_H
#define QCC_INTERPRETER_INTERPRETER_H

#include "qcc/Interpreter/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <functional>
#include <memory>

namespace mlir::qcc {

struct InterpreterOptions {
  /// Threads the kernels run on, the caller's included; 0 means one per
  /// hardware thread. Results do not depend on it.
  unsigned numThreads = 0;

  /// Called on the calling thread after each op with the op and its results
  /// (for example to record value ranges during calibration).
  std::function<void(Operation *, ArrayRef<Tensor>)> observer;

  /// For testing: fill every result and scratch buffer with 0xff bytes (NaN
  /// as floats) before a kernel gets it, so that a kernel reading memory it
  /// did not write shows in the results (BufferPool::setPoison).
  bool poisonBuffers = false;
};

/// An interpreter bound to one function: checks it once, materialises its
/// constants once, and runs it any number of times. The function (and its
/// context) must outlive the interpreter. `run` is not reentrant; use one
/// interpreter per concurrent caller.
class Interpreter {
public:
  /// Prepares `fn` (which must verify): every op must be a qcc op on
  /// supported element types, or the terminating func.return. Reports the
  /// first problem as a diagnostic and fails.
  static FailureOr<std::unique_ptr<Interpreter>>
  create(func::FuncOp fn, const InterpreterOptions &options = {});

  ~Interpreter();

  /// Runs the function on `inputs`, one tensor per argument with the
  /// argument's element type and shape. Returns one tensor per result.
  /// Results (and the tensors the observer sees) may share elements with
  /// the inputs or the function's constants (a reshape is a view): treat
  /// them as read-only, or clone() before writing.
  FailureOr<SmallVector<Tensor>> run(ArrayRef<Tensor> inputs);

  /// The threads kernels run on.
  unsigned getNumThreads() const;

  struct Impl;

private:
  explicit Interpreter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// Convenience: creates an interpreter for `fn` and runs it once.
FailureOr<SmallVector<Tensor>>
interpretFunction(func::FuncOp fn, ArrayRef<Tensor> inputs,
                  const InterpreterOptions &options = {});

} // namespace mlir::qcc

#endif // QCC_INTERPRETER_INTERPRETER_H
