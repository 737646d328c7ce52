export interface ErrorBody {
  error: string;
}

export function errorBody(message: string): ErrorBody {
  return { error: message };
}
