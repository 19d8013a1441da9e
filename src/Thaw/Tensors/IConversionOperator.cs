namespace Thaw.Tensors;

/// <summary>
/// An element conversion written as a struct of static methods: a loop generic over it is compiled separately for
/// each operator struct, so its calls are direct and inline like hand-written code. This is the scalar part, the
/// reference every vector path must match bit for bit; each loop shape (<see cref="IWideningOperator{TFrom, TTo}"/>,
/// <see cref="INarrowingOperator{TFrom, TTo}"/>) adds the vector parts it needs.
/// </summary>
/// <remarks>
/// A new conversion of an existing shape is a pair of structs like <see cref="BFloat16Kernels.ToSingleOperator"/>
/// and <see cref="BFloat16Kernels.FromSingleOperator"/>, run by <see cref="WideningLoop{TOp, TFrom, TTo}"/> or
/// <see cref="NarrowingLoop{TOp, TFrom, TTo}"/>; a conversion of another shape gets its own interface and loop
/// written the same way. A kernel with a loop of its own can still use an operator's vector methods as building
/// blocks, e.g. a dequantizer that computes float32 vectors stores them as bfloat16 through
/// <see cref="BFloat16Kernels.FromSingleOperator"/>.
/// </remarks>
internal interface IConversionOperator<TFrom, TTo>
{
    static abstract TTo Invoke(TFrom value);
}
