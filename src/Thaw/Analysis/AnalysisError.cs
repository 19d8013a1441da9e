namespace Thaw.Analysis;

/// <summary>Why a model could not be analyzed or a dynamic selection could not be made.</summary>
public enum AnalysisError
{
    /// <summary>The imatrix file is neither llama.cpp's legacy .dat layout nor a GGUF imatrix, or it is cut short.</summary>
    BadImatrixFile,

    /// <summary>An imatrix entry names a tensor this model does not have (an imatrix made for another model).</summary>
    ImatrixNameMismatch,

    /// <summary>An imatrix entry holds a number of values other than the module's in_features.</summary>
    ImatrixSizeMismatch,

    /// <summary>The extra-memory budget cannot even hold the modules that must stay in 16 bits.</summary>
    BudgetTooSmall,

    /// <summary>A budget text is not a percentage such as "10%".</summary>
    BadBudget,

    /// <summary>The model has no quantizable Linear weight, or is already quantized.</summary>
    NothingToAnalyze,
}
