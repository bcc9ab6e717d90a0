namespace Sillon.Streaming;

/// <summary>
/// Where audio bytes live. The local file system today; S3-compatible object storage (service mode)
/// implements the same seam, answering with a redirect to a signed URL instead of sending bytes.
/// </summary>
public interface IAudioStore
{
    /// <summary>Size and modification time of the stored object, or null when it is gone.</summary>
    ValueTask<StoredObject?> StatAsync(string path, CancellationToken ct);

    /// <summary>Sends <paramref name="count"/> bytes from <paramref name="offset"/> to the response body.</summary>
    Task SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct);
}

public sealed record StoredObject(long Length, DateTimeOffset LastModified);

public sealed class LocalAudioStore : IAudioStore
{
    public ValueTask<StoredObject?> StatAsync(string path, CancellationToken ct)
    {
        var info = new FileInfo(path);
        return ValueTask.FromResult(info.Exists ? new StoredObject(info.Length, new DateTimeOffset(info.LastWriteTimeUtc)) : null);
    }

    // SendFileAsync hands the file to the server's body feature: no per-request buffers of ours.
    public Task SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct) =>
        response.SendFileAsync(path, offset, count, ct);
}
