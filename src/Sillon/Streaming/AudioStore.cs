namespace Sillon.Streaming;

/// <summary>
/// Where audio bytes live. The local file system today; S3-compatible object storage (service mode)
/// implements the same seam, answering with a redirect to a signed URL instead of sending bytes.
/// </summary>
public interface IAudioStore
{
    /// <summary>Size and modification time of the stored object, or null when it is gone.</summary>
    ValueTask<StoredObject?> StatAsync(string path, CancellationToken ct);

    /// <summary>
    /// Sends <paramref name="count"/> bytes from <paramref name="offset"/> to the response body;
    /// returns how many went out (fewer when the client hung up).
    /// </summary>
    Task<long> SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct);
}

public sealed record StoredObject(long Length, DateTimeOffset LastModified);

public sealed class LocalAudioStore : IAudioStore
{
    public ValueTask<StoredObject?> StatAsync(string path, CancellationToken ct)
    {
        var info = new FileInfo(path);
        return ValueTask.FromResult(info.Exists ? new StoredObject(info.Length, new DateTimeOffset(info.LastWriteTimeUtc)) : null);
    }

    private const int Chunk = 256 * 1024, FirstChunk = 16 * 1024;

    /// <summary>
    /// Kestrel has no sendfile(2): its SendFileAsync copies through an asynchronous FileStream in
    /// 64 KiB steps, each a thread-pool hop on Linux. Audio is read from the page cache, so each
    /// step is a synchronous pread straight into the response pipe's own memory: asked for 256 KiB,
    /// the pipe hands out one segment of that size, where writing a buffer of ours into it would
    /// copy every byte once more and split it into 64 of Kestrel's 4 KiB blocks (together a fifth
    /// of the server's CPU under bench/range.sh).
    /// </summary>
    public async Task<long> SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var pipe = response.BodyWriter;
        // A small first piece gets the headers and the first audio out at once (time to first byte).
        var step = FirstChunk;
        var sent = 0L;
        try
        {
            while (count > 0)
            {
                var want = (int)Math.Min(step, count);
                var memory = pipe.GetMemory(want);
                var n = RandomAccess.Read(file, memory.Span[..Math.Min(want, memory.Length)], offset);
                if (n == 0) throw new IOException($"{path} became shorter while it was being sent");
                pipe.Advance(n);
                var flushed = await pipe.FlushAsync(ct);
                if (flushed.IsCanceled || flushed.IsCompleted) break; // the client went away
                sent += n;
                step = Chunk;
                offset += n;
                count -= n;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The listener hung up: what went out so far is what counts.
        }
        return sent;
    }
}
