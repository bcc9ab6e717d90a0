using System.Security.Cryptography;
using System.Text;

namespace Sillon.Accounts;

/// <summary>
/// Keeps passwords in recoverable form for Subsonic token auth (md5(password + salt) needs the
/// password itself). AES-256-GCM with a random nonce per value; the key is 32 random bytes in
/// data/secret.key, created on first use with mode 0600. The login password stays a one-way hash:
/// this copy is only ever decrypted to check a Subsonic token.
/// </summary>
public sealed class PasswordVault(SillonOptions options)
{
    private const int NonceSize = 12, TagSize = 16, KeySize = 32;
    private readonly Lazy<byte[]> _key = new(() => LoadOrCreateKey(Path.Combine(options.Data, "secret.key")));

    public string Encrypt(string plain)
    {
        var data = Encoding.UTF8.GetBytes(plain);
        var output = new byte[NonceSize + data.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key.Value, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize, data.Length), output.AsSpan(NonceSize + data.Length), null);
        return Convert.ToBase64String(output);
    }

    /// <summary>The password, or null when the value is damaged or was made with another key.</summary>
    public string? Decrypt(string stored)
    {
        try
        {
            var input = Convert.FromBase64String(stored);
            if (input.Length < NonceSize + TagSize) return null;
            var length = input.Length - NonceSize - TagSize;
            var plain = new byte[length];
            using var aes = new AesGcm(_key.Value, TagSize);
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, length), input.AsSpan(NonceSize + length), plain, null);
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return null;
        }
    }

    private static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllBytes(path);
            if (existing.Length != KeySize) throw new InvalidOperationException($"{path} is not a {KeySize}-byte key; restore it from a backup or remove it (stored Subsonic passwords are then lost)");
            return existing;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(KeySize);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        // Owner read/write only (0600), set at creation so the key is never readable by others, even briefly.
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, create))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }
        try
        {
            // Another process may have created it meanwhile: the first key wins, and everyone uses it.
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return File.ReadAllBytes(path);
        }
        return key;
    }
}
