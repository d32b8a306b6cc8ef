import QRCode from 'qrcode';

/**
 * A QR code of `text` drawn with Unicode half blocks, for a phone's authenticator app to scan off the terminal. Its
 * own bundle (qr.cjs): only `codepiper auth mfa` pays for loading the encoder.
 */
export function qrText(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: 'M' });
}
