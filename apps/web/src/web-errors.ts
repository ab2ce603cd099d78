/** The web service's error catalogue: stable codes, HTTP statuses, one clear message each. */
export interface WebError {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
}

export const webErrors = {
  notFound: (): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NOT_FOUND",
    message: "No file or route at this path",
  }),
} as const;
