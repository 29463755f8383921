/** The value of the form control an event came from. */
export const valueOf = (e: Event): string => (e.currentTarget as HTMLInputElement).value;
