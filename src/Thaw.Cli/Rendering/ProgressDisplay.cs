using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Spectre.Console;
using Thaw.IO;
using Thaw.Pipeline;

namespace Thaw.Cli.Rendering;

/// <summary>
/// Shows a pipeline run's progress on stderr: a live bar (tensors, bytes, ETA) on a terminal, a plain line every
/// few seconds and at the end otherwise, nothing with --quiet. Ctrl+C (SIGINT) or SIGTERM cancels the run, which then leaves nothing.
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public static T Run<T>(CliContext context, bool quiet, string label, Func<IProgress<PipelineProgress>?, CancellationToken, T> run)
    {
        using var cancellation = new CancellationTokenSource();
        // Ctrl+C and kill: cancel the run so that it removes its temporary output, instead of dying mid-write.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        void Cancel(PosixSignalContext signal)
        {
            signal.Cancel = true;
            cancellation.Cancel();
        }

        if (quiet)
            return run(null, cancellation.Token);
        if (!context.ErrorIsTerminal)
            return run(new PlainLines(context.Error, label), cancellation.Token);
        return Consoles.For(context.Error, isTerminal: true).Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(progressContext =>
            {
                var task = progressContext.AddTask(label, maxValue: 1);
                return run(new Bar(task, label), cancellation.Token);
            });
    }

    private static string Tensors(PipelineProgress p) => string.Create(CultureInfo.InvariantCulture, $"{p.TensorsDone}/{p.TensorCount} tensors");

    /// <summary>Reports arrive one at a time (the executor serializes them).</summary>
    private sealed class Bar(ProgressTask task, string label) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value)
        {
            task.MaxValue = Math.Max(1, value.TotalBytes);
            task.Value = value.TotalBytes == 0 ? 1 : value.BytesDone;
            task.Description = $"{label} {Tensors(value)}";
        }
    }

    private sealed class PlainLines(TextWriter writer, string label) : IProgress<PipelineProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastLine;
        private bool _finished;

        public void Report(PipelineProgress value)
        {
            var done = value.TensorsDone == value.TensorCount && value.BytesDone == value.TotalBytes;
            var now = _clock.Elapsed;
            if (_finished || (!done && now - _lastLine < PlainInterval))
                return;
            _lastLine = now;
            _finished = done;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {Tensors(value)}, {ByteSize.Format(value.BytesDone)} of {ByteSize.Format(value.TotalBytes)} ({value.Fraction * 100:0}%), {now.TotalSeconds:0.0} s"));
        }
    }
}
