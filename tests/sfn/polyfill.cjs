// aws-local-stepfunctions 3 uses Promise.withResolvers (Node.js 22); the machine
// has Node.js 20. The same semantics, for that one function.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
