import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Config } from '../config.js';
import type { Keyring } from '../connections/crypto.js';
import { loadKeyring } from '../connections/keys.js';
import type { Logger } from '../logger.js';

/**
 * The payload codec: every payload the service hands to Temporal (workflow and activity inputs and
 * results, signals, queries, memos, schedule actions) is encrypted before it leaves the process, so
 * the Temporal server stores customer names, emails, addresses and amounts only as ciphertext.
 * Search attributes are not payloads the codec sees: they hold IDs and outcomes only
 * (src/shared/search-attributes.ts).
 *
 * Node-only: codecs run in the client and the worker outside the workflow sandbox, so the workflow
 * bundle never imports this module.
 *
 * Format of an encrypted payload:
 * - metadata `encoding` = `binary/encrypted`, `encryption-key-id` = the keyring id of the key,
 *   `encryption-cipher` = `AES-256-GCM`;
 * - data = 12-byte random nonce ‖ ciphertext ‖ 16-byte GCM tag, where the plaintext is the whole
 *   original payload (metadata and data) serialized as the `temporal.api.common.v1.Payload` protobuf.
 * The additional authenticated data is `tzs-payload-v1:<key id>`, so a payload relabelled with
 * another key id fails authentication instead of being tried under the wrong key.
 *
 * Keys: the connection-secret keyring (TZS_ENCRYPTION_KEY + TZS_ENCRYPTION_OLD_KEYS, or the dev key
 * file under DATA_DIR), each key run through HKDF-SHA256 with the info label
 * {@link PAYLOAD_KEY_INFO} (Keyring.derive): the raw key never encrypts two kinds of data, and one
 * rotation covers both. Encode uses the current key; decode finds the key by the id in the metadata
 * among the current and retired ones, so histories written before a rotation stay readable as long
 * as their key is listed in TZS_ENCRYPTION_OLD_KEYS (and for as long as the namespace retains them).
 *
 * Payloads without the `binary/encrypted` encoding pass through decode unchanged: histories
 * recorded before the codec existed still replay and still show in the Web UI.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCODING = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
/** HKDF info label of the payload keys; changing it makes every encrypted history unreadable. */
export const PAYLOAD_KEY_INFO = 'togai-zuora-sync temporal payload codec v1';
const NONCE_BYTES = 12;
const PayloadMessage = proto.temporal.api.common.v1.Payload;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted: unknown key id, altered bytes or a malformed envelope. */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    /** The key id the payload names, when it names one. */
    public readonly keyId?: string,
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function aad(keyId: string): Buffer {
  return Buffer.from(`tzs-payload-v1:${keyId}`, 'utf8');
}

/** AES-256-GCM per payload, with the key id in the metadata (see the module comment). */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly currentKeyId: string,
    private readonly keys: ReadonlyMap<string, Buffer>,
  ) {
    const current = keys.get(currentKeyId);
    if (!current) throw new Error(`payload codec: the current key id "${currentKeyId}" has no key`);
    for (const [id, key] of keys) {
      if (key.length !== 32) throw new Error(`payload codec: key ${id} must be 32 bytes, got ${key.length}`);
    }
  }

  /** The payload keys derived from a connection-secret keyring (HKDF, {@link PAYLOAD_KEY_INFO}). */
  static fromKeyring(keyring: Keyring): EncryptionCodec {
    const { currentId, keys } = keyring.derive(PAYLOAD_KEY_INFO);
    return new EncryptionCodec(currentId, keys);
  }

  // A failure is a rejected promise, as callers of a PayloadCodec expect, never a synchronous throw.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((p) => this.encodeOne(p))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((p) => this.decodeOne(p))));
  }

  private encodeOne(payload: Payload): Payload {
    const keyId = this.currentKeyId;
    const key = this.keys.get(keyId) as Buffer;
    const plaintext = PayloadMessage.encode(payload).finish();
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING]: utf8.encode(ENCRYPTED_ENCODING),
        [METADATA_KEY_ID]: utf8.encode(keyId),
        [METADATA_CIPHER]: utf8.encode(CIPHER),
      },
      data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING];
    if (!encoding || fromUtf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const rawKeyId = payload.metadata?.[METADATA_KEY_ID];
    if (!rawKeyId) {
      throw new PayloadDecryptionError(`encrypted payload without the "${METADATA_KEY_ID}" metadata`);
    }
    const keyId = fromUtf8.decode(rawKeyId);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload is encrypted with key id "${keyId}", which is not configured (current: "${this.currentKeyId}"; ` +
          'add the retired key to TZS_ENCRYPTION_OLD_KEYS as id:key)',
        keyId,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < NONCE_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") is too short`, keyId);
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plaintext = Buffer.concat([
        decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `encrypted payload failed authentication with key id "${keyId}" (altered, or a different key under that id)`,
        keyId,
      );
    }
    return PayloadMessage.decode(plaintext);
  }
}

/**
 * The data converter of every Temporal client and worker of the service: the default payload and
 * failure converters, then the encryption codec. The one function to use; never build a Client or
 * Worker without it (a missing codec writes customer data in clear text).
 */
export function dataConverterFor(keyring: Keyring): DataConverter {
  return { payloadCodecs: [EncryptionCodec.fromKeyring(keyring)] };
}

/**
 * `dataConverterFor` the configured keyring (loadKeyring). `create: false` for processes that must
 * not create the dev key file (CLI, scripts): they fail with KeyringUnavailableError instead of
 * writing payloads under a key of their own.
 */
export function temporalDataConverter(
  config: Config,
  log: Logger,
  options: { create?: boolean } = {},
): DataConverter {
  return dataConverterFor(loadKeyring(config, log, options));
}
