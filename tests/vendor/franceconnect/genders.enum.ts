export enum Genders {
  FEMALE = 'female',
  MALE = 'male',
  UNSPECIFIED = 'unspecified',
}
