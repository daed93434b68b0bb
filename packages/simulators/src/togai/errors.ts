/** A refusal the API answers as Togai does: `status` with `{"message": "..."}`. */
export class TogaiApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TogaiApiError';
  }
}
