using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static partial class Native
{
    // optim.cpp
    [LibraryImport(Library)] public static partial int lq_sgd_step(TensorHandle param, TensorHandle grad, TensorHandle momentumBuffer, int hasBuffer, double lr, double momentum, double dampening, double weightDecay, int nesterov);
    [LibraryImport(Library)] public static partial int lq_adam_step(TensorHandle param, TensorHandle grad, TensorHandle expAvg, TensorHandle expAvgSq, TensorHandle step, double lr, double beta1, double beta2, double eps, double weightDecay, int decoupled, int allowFused);
    [LibraryImport(Library)] public static partial int lq_clip_grad_norm(ReadOnlySpan<nint> parameters, long count, double maxNorm, double normType, out double total);
    [LibraryImport(Library)] public static partial int lq_set_data(TensorHandle t, TensorHandle data);

    // nn.cpp (losses added with the layer library)
    [LibraryImport(Library)] public static partial nint lq_cosine_embedding_loss(TensorHandle a, TensorHandle b, TensorHandle target, double margin, long reduction);
    [LibraryImport(Library)] public static partial nint lq_cosine_similarity(TensorHandle a, TensorHandle b, long dim, double eps);
}
